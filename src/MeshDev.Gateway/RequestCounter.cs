using System.Text;

namespace MeshDev.Gateway;

/// <summary>
/// Counts the requests a client sends on one connection, from its bytes alone: HTTP/1.x request heads (bodies skipped
/// by Content-Length or chunked framing) or, after the HTTP/2 preface, HEADERS frames that open a new stream (each a
/// request or gRPC call). After an upgrade (WebSocket) or anything it cannot follow, it stops counting rather than guess.
/// A direct call between pods never passes the laptop's proxy, so this is how <c>status</c> still sees it.
/// </summary>
internal sealed class RequestCounter
{
    private const int MaxHead = 32 * 1024;
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    private readonly StringBuilder _line = new();
    private Mode _mode = Mode.Head;
    private long _skip;
    private int _headLength;
    private long? _contentLength;
    private bool _chunked;
    private bool _upgrade;
    private bool _firstLine = true;
    private readonly byte[] _frameHeader = new byte[9];
    private int _frameHeaderFilled;
    private uint _highestStream;

    private enum Mode { Head, Body, ChunkSize, ChunkData, Trailers, Http2, Opaque }

    /// <summary>Requests seen so far.</summary>
    public long Requests { get; private set; }

    public void Observe(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty && _mode != Mode.Opaque)
        {
            if (_skip > 0)
            {
                var take = (int)Math.Min(_skip, data.Length);
                _skip -= take;
                data = data[take..];
                if (_skip == 0)
                {
                    // A body ends its request; a chunk's data is followed by the next chunk's size.
                    _mode = _mode switch { Mode.Body => Mode.Head, Mode.ChunkData => Mode.ChunkSize, var same => same };
                }

                continue;
            }

            data = _mode switch
            {
                Mode.Http2 => Frame(data),
                _ => Line(data),
            };
        }
    }

    /// <summary>Collects one CRLF-terminated line (heads, chunk sizes, trailers) and acts on it.</summary>
    private ReadOnlySpan<byte> Line(ReadOnlySpan<byte> data)
    {
        var newline = data.IndexOf((byte)'\n');
        var part = newline < 0 ? data : data[..newline];
        _headLength += part.Length + 1;
        if (_headLength > MaxHead)
        {
            _mode = Mode.Opaque;
            return [];
        }

        _line.Append(Encoding.Latin1.GetString(part));
        if (newline < 0)
        {
            return [];
        }

        var line = _line.ToString().TrimEnd('\r');
        _line.Clear();
        OnLine(line);
        return data[(newline + 1)..];
    }

    private void OnLine(string line)
    {
        switch (_mode)
        {
            case Mode.Head when _firstLine:
                if (line.Length == 0)
                {
                    return; // a stray CRLF between requests is allowed
                }

                if (line == "PRI * HTTP/2.0")
                {
                    // The rest of the preface ("\r\nSM\r\n\r\n") is skipped, then frames follow.
                    _mode = Mode.Http2;
                    _skip = Preface.Length - "PRI * HTTP/2.0\r\n".Length;
                    return;
                }

                _firstLine = false;
                _contentLength = null;
                _chunked = false;
                _upgrade = false;
                break;
            case Mode.Head when line.Length > 0:
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    var name = line[..colon].Trim();
                    var value = line[(colon + 1)..].Trim();
                    if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) && long.TryParse(value, out var length))
                    {
                        _contentLength = length;
                    }
                    else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                    {
                        _chunked = value.Contains("chunked", StringComparison.OrdinalIgnoreCase);
                    }
                    else if (name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
                    {
                        _upgrade = true;
                    }
                }

                break;
            case Mode.Head:
                // The empty line ends the head: one request.
                Requests++;
                _firstLine = true;
                _headLength = 0;
                _mode = _upgrade ? Mode.Opaque : _chunked ? Mode.ChunkSize : _contentLength > 0 ? Mode.Body : Mode.Head;
                if (_mode == Mode.Body)
                {
                    _skip = _contentLength!.Value;
                }

                break;
            case Mode.ChunkSize:
                var size = line.Split(';')[0].Trim();
                if (!long.TryParse(size, System.Globalization.NumberStyles.HexNumber, null, out var chunk))
                {
                    _mode = Mode.Opaque;
                }
                else if (chunk == 0)
                {
                    _mode = Mode.Trailers;
                }
                else
                {
                    _mode = Mode.ChunkData;
                    _skip = chunk + 2; // the data and its CRLF
                }

                break;
            case Mode.Trailers when line.Length == 0:
                _mode = Mode.Head;
                _headLength = 0;
                break;
        }
    }

    /// <summary>Follows HTTP/2 frames: a HEADERS frame on a stream id higher than any before opens a request.</summary>
    private ReadOnlySpan<byte> Frame(ReadOnlySpan<byte> data)
    {
        var take = Math.Min(_frameHeader.Length - _frameHeaderFilled, data.Length);
        data[..take].CopyTo(_frameHeader.AsSpan(_frameHeaderFilled));
        _frameHeaderFilled += take;
        if (_frameHeaderFilled < _frameHeader.Length)
        {
            return [];
        }

        _frameHeaderFilled = 0;
        var length = (_frameHeader[0] << 16) | (_frameHeader[1] << 8) | _frameHeader[2];
        var stream = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(_frameHeader.AsSpan(5)) & 0x7FFFFFFF;
        if (_frameHeader[3] == 1 && stream > _highestStream)
        {
            _highestStream = stream;
            Requests++;
        }

        _skip = length;
        return data[take..];
    }
}
