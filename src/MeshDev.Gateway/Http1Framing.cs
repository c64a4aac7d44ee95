using System.Buffers.Text;
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

/// <summary>What a message head says that the framing needs: the start of its start line, and its declared body.</summary>
internal readonly ref struct MessageHead
{
    /// <summary>The start line's first <see cref="Http1Framing.StartLineKept"/> bytes at most (the method, or the version and status).</summary>
    public required ReadOnlySpan<byte> StartLine { get; init; }

    /// <summary>The first Content-Length field's value; -1 when there is none or it is not a number.</summary>
    public required long ContentLength { get; init; }

    /// <summary>Whether the first Transfer-Encoding field names chunked.</summary>
    public required bool Chunked { get; init; }

    /// <summary>The start line's word at <paramref name="index"/> (0 = the first), or empty.</summary>
    public ReadOnlySpan<byte> Word(int index)
    {
        var rest = StartLine;
        for (var i = 0; i < index; i++)
        {
            var space = rest.IndexOf((byte)' ');
            if (space < 0)
            {
                return [];
            }

            rest = rest[(space + 1)..];
        }

        var end = rest.IndexOf((byte)' ');
        return end < 0 ? rest : rest[..end];
    }

    /// <summary>Chunked or Content-Length framing as the head declares it, else <paramref name="otherwise"/>.</summary>
    public (BodyFraming Framing, long Length) DeclaredBody(BodyFraming otherwise) =>
        Chunked ? (BodyFraming.Chunked, 0) : ContentLength >= 0 ? (BodyFraming.Length, ContentLength) : (otherwise, 0);
}

/// <summary>Decides the framing of a message's body from its head.</summary>
internal delegate (BodyFraming Framing, long Length) HeadHandler(in MessageHead head);

/// <summary>
/// Follows the messages of one direction of an HTTP/1.x connection from its bytes: at the end of each head (start line
/// and header fields) <see cref="OnHead"/> says how the body is framed; the body is skipped by that framing and
/// <see cref="OnMessageEnd"/> is called at its end. It runs on every byte a relayed connection carries, so it keeps
/// only what it needs of a head and allocates nothing: a line is read where it lies, and copied (into one reused,
/// bounded buffer) only when a read ends inside it.
/// </summary>
internal sealed class Http1Framing
{
    /// <summary>How much of a start line is kept: enough for any method, or the version and status of a response.</summary>
    public const int StartLineKept = 64;

    private const int MaxHeadBytes = 64 * 1024;

    private readonly byte[] _startLine = new byte[StartLineKept];
    private byte[] _partial = new byte[256];
    private int _partialLength;
    private int _startLineLength;
    private bool _inHead;
    private long _contentLength = -1;
    private bool _transferEncodingSeen;
    private bool _chunked;
    private State _state = State.Head;
    private long _skip;
    private int _headBytes;

    private enum State { Head, Body, ChunkSize, ChunkData, Trailers, UntilClose, Opaque }

    /// <summary>A complete head: returns the framing and, for Length, the length.</summary>
    public required HeadHandler OnHead { get; init; }

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

            if (newline < 0)
            {
                KeepPartial(part);
                return;
            }

            data = data[(newline + 1)..];
            if (_partialLength == 0)
            {
                OnLine(TrimReturn(part));
            }
            else
            {
                KeepPartial(part);
                var length = _partialLength;
                _partialLength = 0;
                OnLine(TrimReturn(_partial.AsSpan(0, length)));
            }
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

    /// <summary>The start of a line whose end is in a later read (bounded by the head's limit).</summary>
    private void KeepPartial(ReadOnlySpan<byte> part)
    {
        if (_partialLength + part.Length > _partial.Length)
        {
            Array.Resize(ref _partial, Math.Max(_partial.Length * 2, _partialLength + part.Length));
        }

        part.CopyTo(_partial.AsSpan(_partialLength));
        _partialLength += part.Length;
    }

    private static ReadOnlySpan<byte> TrimReturn(ReadOnlySpan<byte> line) => line.TrimEnd((byte)'\r');

    private void OnLine(ReadOnlySpan<byte> line)
    {
        switch (_state)
        {
            case State.Head when line.IsEmpty && !_inHead:
                _headBytes = 0; // a stray CRLF between messages is allowed
                break;
            case State.Head when !line.IsEmpty:
                OnHeadLine(line);
                break;
            case State.Head:
                EndHead();
                break;
            case State.ChunkSize:
                var size = line;
                if (size.IndexOf((byte)';') is >= 0 and var extension)
                {
                    size = size[..extension];
                }

                size = size.Trim(" \t"u8);
                if (size.IsEmpty || !Utf8Parser.TryParse(size, out long chunk, out var used, 'X') || used != size.Length || chunk < 0)
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
            case State.Trailers when line.IsEmpty:
                EndMessage();
                break;
        }
    }

    private void OnHeadLine(ReadOnlySpan<byte> line)
    {
        if (!_inHead)
        {
            _inHead = true;
            _startLineLength = Math.Min(line.Length, StartLineKept);
            line[.._startLineLength].CopyTo(_startLine);
            return;
        }

        var colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            return;
        }

        var name = line[..colon].Trim(" \t"u8);
        var value = line[(colon + 1)..].Trim(" \t"u8);
        if (_contentLength < 0 && Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
        {
            _contentLength = Utf8Parser.TryParse(value, out long length, out var used) && used == value.Length && length >= 0 ? length : -2;
        }
        else if (!_transferEncodingSeen && Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
        {
            _transferEncodingSeen = true;
            _chunked = ContainsIgnoringCase(value, "chunked"u8);
        }
    }

    private void EndHead()
    {
        var head = new MessageHead
        {
            StartLine = _startLine.AsSpan(0, _startLineLength),
            ContentLength = Math.Max(_contentLength, -1),
            Chunked = _chunked,
        };
        var (framing, length) = OnHead(head);
        _inHead = false;
        _contentLength = -1;
        _transferEncodingSeen = false;
        _chunked = false;
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
    }

    private static bool ContainsIgnoringCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> word)
    {
        for (var i = 0; i + word.Length <= text.Length; i++)
        {
            if (Ascii.EqualsIgnoreCase(text.Slice(i, word.Length), word))
            {
                return true;
            }
        }

        return false;
    }

    private void EndMessage()
    {
        _state = State.Head;
        _headBytes = 0;
        OnMessageEnd();
    }
}
