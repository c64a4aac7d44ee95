using System.Buffers.Binary;
using System.Text;
using MeshDev.Link;

namespace MeshDev.Proxy.Listeners;

/// <summary>The HTTP/2 frame layout (RFC 9113 §4, §6) as the gRPC relay reads it, and the few frames it writes itself.</summary>
internal static class Http2Frames
{
    public const int HeaderLength = 9;

    public const byte Data = 0x0;
    public const byte Headers = 0x1;
    public const byte RstStream = 0x3;
    public const byte PushPromise = 0x5;
    public const byte GoAway = 0x7;
    public const byte Continuation = 0x9;

    public const byte EndStream = 0x1;
    public const byte EndHeaders = 0x4;
    public const byte Padded = 0x8;
    public const byte Priority = 0x20;

    /// <summary>Reads a frame header: payload length, type, flags and stream (the reserved bit dropped).</summary>
    public static (int Length, byte Type, byte Flags, int Stream) ReadHeader(ReadOnlySpan<byte> header) =>
        ((header[0] << 16) | (header[1] << 8) | header[2], header[3], header[4], (int)(BinaryPrimitives.ReadUInt32BigEndian(header[5..]) & 0x7FFF_FFFF));

    /// <summary>A GOAWAY (NO_ERROR): streams up to <paramref name="lastStream"/> finish; the client sends later ones elsewhere.</summary>
    public static byte[] GoAwayFrame(int lastStream)
    {
        Span<byte> payload = stackalloc byte[8]; // the last stream, then the error code NO_ERROR
        BinaryPrimitives.WriteInt32BigEndian(payload, lastStream);
        return HttpWire.Frame(GoAway, 0, 0, payload);
    }

    /// <summary>
    /// The end of a gRPC call with <paramref name="grpcStatus"/>: a trailers-only response when its response has not
    /// started, else trailers. Every field is a literal without indexing, so the client's HPACK table, which the service
    /// shares with it, is left as the service left it.
    /// </summary>
    public static byte[] GrpcStatusFrame(int stream, bool responseStarted, int grpcStatus, string percentEncodedMessage)
    {
        var block = new List<byte>(64 + percentEncodedMessage.Length);
        if (!responseStarted)
        {
            block.Add(0x88); // :status 200, static table index 8
            Literal(block, "content-type", "application/grpc");
        }

        Literal(block, "grpc-status", grpcStatus.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Literal(block, "grpc-message", percentEncodedMessage);
        return HttpWire.Frame(Headers, EndStream | EndHeaders, stream, [.. block]);
    }

    // Literal header field without indexing, new name (RFC 7541 §6.2.2), strings without Huffman coding.
    private static void Literal(List<byte> block, string name, string value)
    {
        block.Add(0x00);
        String(block, name);
        String(block, value);
    }

    private static void String(List<byte> block, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        Integer(block, bytes.Length);
        block.AddRange(bytes);
    }

    // An HPACK integer with a 7-bit prefix (RFC 7541 §5.1), the Huffman bit clear.
    private static void Integer(List<byte> block, int value)
    {
        if (value < 127)
        {
            block.Add((byte)value);
            return;
        }

        block.Add(127);
        value -= 127;
        while (value >= 128)
        {
            block.Add((byte)(value % 128 + 128));
            value /= 128;
        }

        block.Add((byte)value);
    }
}
