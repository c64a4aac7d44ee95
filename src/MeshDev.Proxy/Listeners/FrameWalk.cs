using System.Buffers.Binary;
using MeshDev.Link.Hpack;

namespace MeshDev.Proxy.Listeners;

/// <summary>
/// Where one direction of a relayed HTTP/2 connection is in its frames: the frame whose payload is passing, and the
/// header block being gathered (a HEADERS or PUSH_PROMISE frame and its CONTINUATION frames), which is decoded with
/// this direction's HPACK table once it is complete. Used by one thread only.
/// </summary>
internal sealed class FrameWalk
{
    // A header block larger than this is refused by any real server long before; the relay stops rather than grow.
    private const int MaxHeaderBlock = 256 * 1024;

    private readonly HpackDecoder _decoder = new();
    private byte[] _payload = new byte[1024];
    private int _payloadLength;
    private byte[] _block = new byte[1024];
    private int _blockLength;

    /// <summary>Bytes of the client's connection preface still to pass before the first frame (client side only).</summary>
    public int PrefaceLeft { get; set; }

    public byte Type { get; private set; }
    public byte Flags { get; private set; }
    public int Stream { get; private set; }

    /// <summary>Payload bytes of the current frame still to pass; 0 between frames.</summary>
    public int Remaining { get; set; }

    /// <summary>The current frame is not passed on.</summary>
    public bool Dropping { get; set; }

    /// <summary>A header block has begun and its END_HEADERS has not passed: nothing may be sent between its frames.</summary>
    public bool InHeaderBlock { get; private set; }

    /// <summary>The stream of the header block being gathered, and whether its HEADERS frame ended that stream.</summary>
    public int BlockStream { get; private set; }

    public bool BlockEndsStream { get; private set; }

    /// <summary>Between frames and outside a header block: a frame of the relay's own may be sent here.</summary>
    public bool AtBoundary => Remaining == 0 && !InHeaderBlock;

    public void Begin(ReadOnlySpan<byte> header)
    {
        var (length, type, flags, stream) = Http2Frames.ReadHeader(header);
        Remaining = length;
        Type = type;
        Flags = flags;
        Stream = stream;
        _payloadLength = 0;
        if (type is Http2Frames.Headers or Http2Frames.PushPromise)
        {
            InHeaderBlock = true;
            BlockStream = stream;
            BlockEndsStream = type == Http2Frames.Headers && (flags & Http2Frames.EndStream) != 0;
            _blockLength = 0;
        }
    }

    /// <summary>Whether the relay reads this frame's payload: header blocks, and the last stream of a GOAWAY.</summary>
    public bool Gathers => !Dropping && Type is Http2Frames.Headers or Http2Frames.Continuation or Http2Frames.PushPromise or Http2Frames.GoAway;

    public void Gather(ReadOnlySpan<byte> bytes)
    {
        if (Type == Http2Frames.GoAway)
        {
            // Only its last-stream-id matters; the debug data after it may be long.
            var take = Math.Min(bytes.Length, 8 - _payloadLength);
            if (take > 0)
            {
                bytes[..take].CopyTo(_payload.AsSpan(_payloadLength));
                _payloadLength += take;
            }

            return;
        }

        EnsureRoom(ref _payload, _payloadLength + bytes.Length);
        bytes.CopyTo(_payload.AsSpan(_payloadLength));
        _payloadLength += bytes.Length;
    }

    /// <summary>The last stream a completed GOAWAY names.</summary>
    public int GoAwayLastStream => _payloadLength >= 4 ? (int)(BinaryPrimitives.ReadUInt32BigEndian(_payload) & 0x7FFF_FFFF) : 0;

    /// <summary>
    /// At the end of a HEADERS, PUSH_PROMISE or CONTINUATION frame: adds its fragment to the block and, at END_HEADERS,
    /// decodes the block into <paramref name="sink"/>. True when a block was decoded.
    /// </summary>
    public bool EndHeaderFrame(IHeaderSink sink)
    {
        var payload = _payload.AsSpan(0, _payloadLength);
        if (Type is Http2Frames.Headers or Http2Frames.PushPromise)
        {
            var padding = 0;
            if ((Flags & Http2Frames.Padded) != 0)
            {
                padding = payload.IsEmpty ? throw new HpackException("a padded frame without its pad length") : payload[0];
                payload = payload[1..];
            }

            var skip = Type == Http2Frames.PushPromise ? 4 : (Flags & Http2Frames.Priority) != 0 ? 5 : 0;
            if (skip + padding > payload.Length)
            {
                throw new HpackException("a frame's padding or priority is longer than its payload");
            }

            payload = payload[skip..^padding];
        }

        EnsureRoom(ref _block, _blockLength + payload.Length);
        payload.CopyTo(_block.AsSpan(_blockLength));
        _blockLength += payload.Length;
        if ((Flags & Http2Frames.EndHeaders) == 0)
        {
            return false;
        }

        InHeaderBlock = false;
        _decoder.Decode(_block.AsSpan(0, _blockLength), sink);
        return true;
    }

    private static void EnsureRoom(ref byte[] buffer, int needed)
    {
        if (needed <= buffer.Length)
        {
            return;
        }

        if (needed > MaxHeaderBlock)
        {
            throw new HpackException($"a header block over {MaxHeaderBlock} bytes");
        }

        Array.Resize(ref buffer, Math.Max(buffer.Length * 2, needed));
    }
}
