using System.Text;

namespace MeshDev.Gateway;

/// <summary>How the body of an HTTP/1.x message is framed, decided from its head.</summary>
internal enum BodyFraming
{
    None,
    Length,
    Chunked,
    /// <summary>Until the connection closes (a response without Content-Length or chunking).</summary>
    UntilClose,
    /// <summary>The connection stops being HTTP (an upgrade, or something that cannot be followed).</summary>
    Opaque,
}

/// <summary>
/// Follows the messages of one direction of an HTTP/1.x connection from its bytes: each head (start line and header
/// fields) is handed to <see cref="OnHead"/>, which says how the body is framed; the body is skipped by that framing and
/// <see cref="OnMessageEnd"/> is called at its end. Nothing is buffered but the current line (bounded).
/// </summary>
internal sealed class Http1Framing
{
    private const int MaxHeadBytes = 64 * 1024;

    private readonly StringBuilder _line = new();
    private readonly List<string> _head = [];
    private State _state = State.Head;
    private long _skip;
    private int _headBytes;

    private enum State { Head, Body, ChunkSize, ChunkData, Trailers, UntilClose, Opaque }

    /// <summary>A complete head (start line first, then each field line): returns the framing and, for Length, the length.</summary>
    public required Func<IReadOnlyList<string>, (BodyFraming Framing, long Length)> OnHead { get; init; }

    /// <summary>A message ended (its body, if any, is over).</summary>
    public required Action OnMessageEnd { get; init; }

    public bool IsOpaque => _state == State.Opaque;

    public void Observe(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty && _state is not (State.Opaque or State.UntilClose))
        {
            if (_skip > 0)
            {
                var take = (int)Math.Min(_skip, data.Length);
                _skip -= take;
                data = data[take..];
                if (_skip == 0)
                {
                    if (_state == State.Body)
                    {
                        EndMessage();
                    }
                    else if (_state == State.ChunkData)
                    {
                        _state = State.ChunkSize;
                    }
                }

                continue;
            }

            var newline = data.IndexOf((byte)'\n');
            var part = newline < 0 ? data : data[..newline];
            _headBytes += part.Length + 1;
            if (_headBytes > MaxHeadBytes)
            {
                _state = State.Opaque;
                return;
            }

            _line.Append(Encoding.Latin1.GetString(part));
            if (newline < 0)
            {
                return;
            }

            data = data[(newline + 1)..];
            var line = _line.ToString().TrimEnd('\r');
            _line.Clear();
            OnLine(line);
        }
    }

    /// <summary>The connection closed: a body framed by the close ends here.</summary>
    public void Closed()
    {
        if (_state == State.UntilClose)
        {
            _state = State.Head;
            OnMessageEnd();
        }
    }

    private void OnLine(string line)
    {
        switch (_state)
        {
            case State.Head when line.Length == 0 && _head.Count == 0:
                _headBytes = 0; // a stray CRLF between messages is allowed
                break;
            case State.Head when line.Length > 0:
                _head.Add(line);
                break;
            case State.Head:
                var (framing, length) = OnHead(_head);
                _head.Clear();
                _headBytes = 0;
                switch (framing)
                {
                    case BodyFraming.Length when length > 0:
                        _state = State.Body;
                        _skip = length;
                        break;
                    case BodyFraming.Chunked:
                        _state = State.ChunkSize;
                        break;
                    case BodyFraming.UntilClose:
                        _state = State.UntilClose;
                        break;
                    case BodyFraming.Opaque:
                        _state = State.Opaque;
                        break;
                    default:
                        EndMessage();
                        break;
                }

                break;
            case State.ChunkSize:
                if (!long.TryParse(line.Split(';')[0].Trim(), System.Globalization.NumberStyles.HexNumber, null, out var chunk) || chunk < 0)
                {
                    _state = State.Opaque;
                }
                else if (chunk == 0)
                {
                    _state = State.Trailers;
                }
                else
                {
                    _state = State.ChunkData;
                    _skip = chunk + 2; // the data and its CRLF
                }

                break;
            case State.Trailers when line.Length == 0:
                EndMessage();
                break;
        }
    }

    private void EndMessage()
    {
        _state = State.Head;
        _headBytes = 0;
        OnMessageEnd();
    }

    /// <summary>The value of header field <paramref name="name"/> in a head, or null.</summary>
    public static string? Field(IReadOnlyList<string> head, string name)
    {
        for (var i = 1; i < head.Count; i++)
        {
            var colon = head[i].IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && head[i].AsSpan(0, colon).Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return head[i][(colon + 1)..].Trim();
            }
        }

        return null;
    }

    /// <summary>Chunked or Content-Length framing as a head declares it.</summary>
    public static (BodyFraming Framing, long Length) DeclaredBody(IReadOnlyList<string> head, BodyFraming otherwise)
    {
        if (Field(head, "Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true)
        {
            return (BodyFraming.Chunked, 0);
        }

        return long.TryParse(Field(head, "Content-Length"), out var length) && length >= 0 ? (BodyFraming.Length, length) : (otherwise, 0);
    }
}
