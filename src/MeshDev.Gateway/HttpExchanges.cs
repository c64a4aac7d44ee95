using System.Buffers.Binary;
using System.Buffers.Text;
using MeshDev.Link;

namespace MeshDev.Gateway;

/// <summary>
/// What one direct connection between pods is doing, from its bytes in both directions: how many requests the client
/// sent, and how many are in flight (sent, their response not yet complete) — HTTP/1.x by the messages' framing, HTTP/2
/// (gRPC) by its streams. A connection that stops being HTTP (a WebSocket upgrade, bytes that cannot be followed)
/// counts as one request in flight until it closes. A call between pods never passes the laptop's proxy; this is what
/// lets the laptop count it and keep the called pod from idling out while a request is open — but not while a client
/// merely keeps an idle connection in its pool.
/// </summary>
internal sealed class HttpExchanges
{
    private readonly Lock _gate = new();
    /// <summary>Per request awaiting its response: whether it is a HEAD (whose response has no body whatever its head says).</summary>
    private readonly Queue<bool> _heads = new();
    private readonly Http1Framing _requests;
    private readonly Http1Framing _responses;
    private readonly Http2Frames _clientFrames;
    private readonly Http2Frames _serverFrames;
    private readonly HashSet<uint> _openStreams = [];
    private Protocol _protocol = Protocol.Http1;
    private int _prefaceMatched;
    private bool _decided;
    private bool _interim;
    private bool _opaque;
    private uint _highestStream;

    public HttpExchanges()
    {
        _requests = new Http1Framing { OnHead = OnRequestHead, OnMessageEnd = () => { } };
        _responses = new Http1Framing { OnHead = OnResponseHead, OnMessageEnd = OnResponseEnd };
        _clientFrames = new Http2Frames(OnClientFrame);
        _serverFrames = new Http2Frames(OnServerFrame);
    }

    private enum Protocol { Http1, Http2 }

    /// <summary>Requests the client sent so far.</summary>
    public long Requests
    {
        get
        {
            lock (_gate)
            {
                return _requestCount;
            }
        }
    }

    private long _requestCount;

    /// <summary>Requests in flight now (an opaque connection counts as one).</summary>
    public int InFlight
    {
        get
        {
            lock (_gate)
            {
                return _opaque ? 1 : _protocol == Protocol.Http2 ? _openStreams.Count : _heads.Count;
            }
        }
    }

    /// <summary>Bytes the client sent.</summary>
    public void FromClient(ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            if (_opaque)
            {
                return;
            }

            if (!_decided)
            {
                // HTTP/2 with prior knowledge (h2c, gRPC) starts with the 24-byte preface; anything else is HTTP/1.x.
                var take = Math.Min(HttpWire.Http2Preface.Length - _prefaceMatched, data.Length);
                if (data[..take].SequenceEqual(HttpWire.Http2Preface.Slice(_prefaceMatched, take)))
                {
                    _prefaceMatched += take;
                    data = data[take..];
                    if (_prefaceMatched < HttpWire.Http2Preface.Length)
                    {
                        return;
                    }

                    _protocol = Protocol.Http2;
                }
                else
                {
                    _requests.Observe(HttpWire.Http2Preface[.._prefaceMatched]);
                }

                _decided = true;
            }

            if (_protocol == Protocol.Http2)
            {
                _clientFrames.Observe(data);
                return;
            }

            _requests.Observe(data);
            _opaque |= _requests.IsOpaque;
        }
    }

    /// <summary>Bytes the server sent.</summary>
    public void FromServer(ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            if (_opaque)
            {
                return;
            }

            if (_protocol == Protocol.Http2)
            {
                _serverFrames.Observe(data);
                return;
            }

            _responses.Observe(data);
            _opaque |= _responses.IsOpaque;
        }
    }

    /// <summary>The server closed its side: a response framed by the close is complete.</summary>
    public void ServerClosed()
    {
        lock (_gate)
        {
            _responses.Closed();
        }
    }

    private (BodyFraming, long) OnRequestHead(in MessageHead head)
    {
        _requestCount++;
        _heads.Enqueue(head.Word(0).SequenceEqual("HEAD"u8));
        return head.DeclaredBody(BodyFraming.None);
    }

    private (BodyFraming, long) OnResponseHead(in MessageHead head)
    {
        var status = Utf8Parser.TryParse(head.Word(1), out int code, out var used) && used == head.Word(1).Length ? code : 0;
        if (status == 101)
        {
            return (BodyFraming.Opaque, 0);
        }

        if (status is >= 100 and < 200)
        {
            _interim = true;
            return (BodyFraming.None, 0);
        }

        var isHead = _heads.Count > 0 && _heads.Peek();
        return isHead || status is 204 or 304 ? (BodyFraming.None, 0) : head.DeclaredBody(BodyFraming.UntilClose);
    }

    private void OnResponseEnd()
    {
        if (_interim)
        {
            _interim = false;
            return;
        }

        _heads.TryDequeue(out _);
    }

    private void OnClientFrame(byte type, byte flags, uint stream)
    {
        if (type == Http2Frames.Headers && stream > _highestStream)
        {
            _highestStream = stream;
            _requestCount++;
            _openStreams.Add(stream);
        }
        else if (type == Http2Frames.ResetStream)
        {
            _openStreams.Remove(stream);
        }
    }

    private void OnServerFrame(byte type, byte flags, uint stream)
    {
        if (type == Http2Frames.ResetStream || (type is Http2Frames.Headers or Http2Frames.Data && (flags & Http2Frames.EndStream) != 0))
        {
            _openStreams.Remove(stream);
        }
    }

    /// <summary>Follows HTTP/2 frame headers (9 bytes: length, type, flags, stream) and skips their payloads.</summary>
    private sealed class Http2Frames(Action<byte, byte, uint> onFrame)
    {
        public const byte Data = 0;
        public const byte Headers = 1;
        public const byte ResetStream = 3;
        public const byte EndStream = 1;

        private readonly byte[] _header = new byte[9];
        private int _filled;
        private long _skip;

        public void Observe(ReadOnlySpan<byte> data)
        {
            while (!data.IsEmpty)
            {
                if (_skip > 0)
                {
                    var skip = (int)Math.Min(_skip, data.Length);
                    _skip -= skip;
                    data = data[skip..];
                    continue;
                }

                var take = Math.Min(_header.Length - _filled, data.Length);
                data[..take].CopyTo(_header.AsSpan(_filled));
                _filled += take;
                data = data[take..];
                if (_filled < _header.Length)
                {
                    return;
                }

                _filled = 0;
                _skip = (_header[0] << 16) | (_header[1] << 8) | _header[2];
                onFrame(_header[3], _header[4], BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(5)) & 0x7FFFFFFF);
            }
        }
    }
}
