namespace MeshDev.Link.Hpack;

/// <summary>A header block that is not valid HPACK (RFC 7541): the connection has a compression error.</summary>
public sealed class HpackException : Exception
{
    /// <summary>An HPACK error with a message that says what in the block was wrong.</summary>
    public HpackException(string message)
        : base(message)
    {
    }

    /// <summary>An HPACK error with no particular message.</summary>
    public HpackException()
        : this("The header block is not valid HPACK.")
    {
    }

    /// <summary>An HPACK error caused by another.</summary>
    public HpackException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
