using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace MeshDev.Link;

/// <summary>What of the HTTP/2 and gRPC wire formats both the laptop's proxy and the pod's gateway recognise or write.</summary>
public static class HttpWire
{
    /// <summary>The client connection preface of HTTP/2 (RFC 9113 §3.4): how h2c with prior knowledge, so gRPC, starts.</summary>
    public static ReadOnlySpan<byte> Http2Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    /// <summary>One HTTP/2 frame (RFC 9113 §4.1): the 9-byte header (payload length, type, flags, stream), then the payload.</summary>
    public static byte[] Frame(byte type, byte flags, int stream, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), stream & 0x7FFF_FFFF);
        payload.CopyTo(frame.AsSpan(9));
        return frame;
    }

    /// <summary>The gRPC spec's encoding of grpc-message: UTF-8, with bytes outside 0x20–0x7E and '%' percent-encoded.</summary>
    public static string PercentEncodeGrpcMessage(string message)
    {
        var bytes = Encoding.UTF8.GetBytes(message);
        var builder = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'%')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }
}
