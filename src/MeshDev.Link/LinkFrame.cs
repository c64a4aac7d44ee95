using System.Buffers.Binary;

namespace MeshDev.Link;

/// <summary>What a frame of the link carries.</summary>
public enum FrameType : byte
{
    /// <summary>Stream 0. The gateway's first frame: who it is (<see cref="LinkHello"/>).</summary>
    Hello = 1,

    /// <summary>Opens a stream: the gateway asks the laptop to connect it to a mesh port (<see cref="LinkOpen"/>).</summary>
    Open = 2,

    /// <summary>Bytes of a stream, at most <see cref="LinkFrame.MaxData"/>, within the receiver's credit.</summary>
    Data = 3,

    /// <summary>The sender will send no more bytes on the stream (a TCP half-close).</summary>
    End = 4,

    /// <summary>The stream is cut; the payload says why (UTF-8).</summary>
    Reset = 5,

    /// <summary>The receiver consumed bytes: the sender may send that many more (4 bytes, big endian).</summary>
    Credit = 6,

    /// <summary>Stream 0, laptop → gateway: where ready services of the cluster can be reached directly (<see cref="LinkRoutes"/>).</summary>
    Routes = 7,

    /// <summary>Stream 0, gateway → laptop: calls the gateway sent directly to a pod (<see cref="LinkReport"/>).</summary>
    Report = 8,

    /// <summary>Stream 0: liveness; answered with <see cref="Pong"/> and the same 8 bytes.</summary>
    Ping = 9,

    /// <summary>Stream 0: the answer to <see cref="Ping"/>.</summary>
    Pong = 10,
}

/// <summary>
/// The link's framing: a 9-byte header (type, stream id as 4 bytes big endian, payload length as 4 bytes big endian),
/// then the payload. Stream 0 carries the link's own messages; the gateway opens streams with odd ids.
/// </summary>
public static class LinkFrame
{
    public const int HeaderLength = 9;

    /// <summary>The largest Data payload: small enough that one busy stream cannot hold the link for long.</summary>
    public const int MaxData = 32 * 1024;

    /// <summary>The largest payload of any frame; a longer one means the peer is not a MeshDev link.</summary>
    public const int MaxPayload = 1024 * 1024;

    /// <summary>How many bytes a stream may have in flight in each direction before the receiver grants more.</summary>
    public const int InitialWindow = 256 * 1024;

    public static void WriteHeader(Span<byte> header, FrameType type, uint stream, int length)
    {
        header[0] = (byte)type;
        BinaryPrimitives.WriteUInt32BigEndian(header[1..], stream);
        BinaryPrimitives.WriteInt32BigEndian(header[5..], length);
    }

    public static (FrameType Type, uint Stream, int Length) ReadHeader(ReadOnlySpan<byte> header) =>
        ((FrameType)header[0], BinaryPrimitives.ReadUInt32BigEndian(header[1..]), BinaryPrimitives.ReadInt32BigEndian(header[5..]));
}
