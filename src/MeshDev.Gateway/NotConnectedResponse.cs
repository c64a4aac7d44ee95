using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using MeshDev.Link;

namespace MeshDev.Gateway;

/// <summary>
/// The answer to a call the gateway cannot carry because the developer's mesh is not connected: at once, never a
/// hang. An HTTP/1.x caller gets <c>503</c> with an <c>application/problem+json</c> body, as the laptop's mesh answers
/// a failed launch; an HTTP/2 caller (gRPC) gets, on each stream it opens, a trailers-only response with
/// <c>grpc-status: 14</c> (UNAVAILABLE) and the sentence as <c>grpc-message</c>, then GOAWAY.
/// </summary>
internal static class NotConnectedResponse
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(2);

    public static string Message(string service, string why) =>
        $"the developer's mesh is not connected ({why}), so '{service}' cannot be reached from this pod; it reconnects by itself while 'meshdev up' runs on the developer's machine";

    /// <summary>Reads what the caller sent (the request head, or HTTP/2 frames), answers, and closes.</summary>
    public static async Task RespondAsync(Socket socket, string service, string why)
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        var buffer = new byte[16 * 1024];
        var filled = 0;
        try
        {
            while (filled < HttpWire.Http2Preface.Length)
            {
                var read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                filled += read;
                if (!buffer.AsSpan(0, Math.Min(filled, HttpWire.Http2Preface.Length)).SequenceEqual(HttpWire.Http2Preface[..Math.Min(filled, HttpWire.Http2Preface.Length)]))
                {
                    break;
                }
            }

            var message = Message(service, why);
            if (filled >= HttpWire.Http2Preface.Length && buffer.AsSpan(0, HttpWire.Http2Preface.Length).SequenceEqual(HttpWire.Http2Preface))
            {
                await Http2Async(socket, buffer, filled, message, timeout.Token).ConfigureAwait(false);
            }
            else
            {
                await Http1Async(socket, buffer, filled, service, message, timeout.Token).ConfigureAwait(false);
            }

            // Unread bytes at close would reset the connection, and a reset can destroy the answer before the caller reads it.
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            // The caller went away or sent nothing we understand in time; closing is all that is left.
        }
    }

    private static async Task Http1Async(Socket socket, byte[] buffer, int filled, string service, string message, CancellationToken cancellationToken)
    {
        // The head is read to its end first: closing with unread request bytes would make the caller see a reset, not this answer.
        while (buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8) < 0 && filled < buffer.Length)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        var body = $"{{\"type\":\"urn:meshdev:mesh-not-connected\",\"title\":\"The developer's mesh is not connected\",\"status\":503,\"detail\":\"{Json(message)}\",\"service\":\"{Json(service)}\"}}";
        var bytes = Encoding.UTF8.GetBytes(body);
        var head = $"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nContent-Length: {bytes.Length}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(head).Concat(bytes).ToArray(), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        socket.Shutdown(SocketShutdown.Send);
    }

    private static async Task Http2Async(Socket socket, byte[] buffer, int filled, string message, CancellationToken cancellationToken)
    {
        // Our SETTINGS (empty), then each stream the client opens is answered until it waits no more.
        await SendFrameAsync(socket, 4, 0, 0, [], cancellationToken).ConfigureAwait(false);
        var pending = buffer.AsMemory(HttpWire.Http2Preface.Length, filled - HttpWire.Http2Preface.Length).ToArray().ToList();
        uint lastStream = 0;
        var answered = false;
        while (true)
        {
            while (pending.Count >= 9)
            {
                var header = pending.GetRange(0, 9).ToArray();
                var length = (header[0] << 16) | (header[1] << 8) | header[2];
                if (pending.Count < 9 + length)
                {
                    break;
                }

                var type = header[3];
                var flags = header[4];
                var stream = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(5)) & 0x7FFFFFFF;
                pending.RemoveRange(0, 9 + length);
                if (type == 4 && (flags & 1) == 0)
                {
                    await SendFrameAsync(socket, 4, 1, 0, [], cancellationToken).ConfigureAwait(false); // SETTINGS ACK
                }
                else if (type == 1 && stream > lastStream)
                {
                    lastStream = stream;
                    await SendFrameAsync(socket, 1, 0x5, stream, TrailersOnly(message), cancellationToken).ConfigureAwait(false);
                    answered = true;
                }
            }

            if (answered)
            {
                var goAway = new byte[8];
                BinaryPrimitives.WriteUInt32BigEndian(goAway, lastStream);
                await SendFrameAsync(socket, 7, 0, 0, goAway, cancellationToken).ConfigureAwait(false);
                socket.Shutdown(SocketShutdown.Send);
                return;
            }

            var chunk = new byte[16 * 1024];
            var read = await socket.ReceiveAsync(chunk, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return;
            }

            pending.AddRange(chunk.AsSpan(0, read).ToArray());
        }
    }

    /// <summary>HPACK: each header as a literal without indexing, with a literal name (no Huffman coding).</summary>
    private static byte[] TrailersOnly(string message)
    {
        var block = new List<byte>();
        Header(":status", "200");
        Header("content-type", "application/grpc");
        Header("grpc-status", "14");
        Header("grpc-message", HttpWire.PercentEncodeGrpcMessage(message));
        return [.. block];

        void Header(string name, string value)
        {
            block.Add(0);
            String(name);
            String(value);
        }

        void String(string text)
        {
            var bytes = Encoding.ASCII.GetBytes(text);
            Integer(bytes.Length);
            block.AddRange(bytes);
        }

        void Integer(int value)
        {
            // 7-bit prefix, the Huffman bit clear (RFC 7541 §5.1).
            if (value < 127)
            {
                block.Add((byte)value);
                return;
            }

            block.Add(127);
            value -= 127;
            while (value >= 128)
            {
                block.Add((byte)((value % 128) + 128));
                value /= 128;
            }

            block.Add((byte)value);
        }
    }

    private static async Task SendFrameAsync(Socket socket, byte type, byte flags, uint stream, byte[] payload, CancellationToken cancellationToken) =>
        await socket.SendAsync(HttpWire.Frame(type, flags, (int)stream, payload), SocketFlags.None, cancellationToken).ConfigureAwait(false);

    private static string Json(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
