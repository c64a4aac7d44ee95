namespace MeshDev.Link.Hpack;

/// <summary>Receives the fields of a header block as <see cref="HpackDecoder"/> decodes them, in order.</summary>
public interface IHeaderSink
{
    /// <summary>One field; the spans are the decoder's and the caller's memory, valid only during the call.</summary>
    void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value);
}
