using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MeshDev.Catalog;

namespace MeshDev.Runtime;

/// <summary>
/// Whether a listener answers in a service's protocol at all, whatever it says: an HTTP status line (any status) to a
/// plain GET, or an HTTP/2 frame to the h2c preface a gRPC client sends. A program that accepts and stays silent (a
/// netcat listener) does not; an unhealthy service answering 503 does.
/// </summary>
internal static class ProtocolAnswer
{
    // The client connection preface (RFC 9113 §3.4) and an empty SETTINGS frame: what any HTTP/2 server answers with its own SETTINGS.
    private static readonly byte[] Http2Hello = [.. "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8, 0, 0, 0, 0x04, 0, 0, 0, 0, 0];

    private const int FrameHeaderLength = 9;
    private const byte SettingsFrame = 0x04;
    private const byte GoAwayFrame = 0x07;

    /// <summary>What <see cref="AnswersAsync"/> checks for <paramref name="service"/>, for messages: "an HTTP service", "a gRPC service".</summary>
    public static string Kind(ServiceSpec service) => service.Ready.Kind == ReadyKind.Grpc ? "a gRPC service" : "an HTTP service";

    /// <summary>
    /// True when the listener at <paramref name="endpoint"/> answers like <paramref name="service"/> would; false when it
    /// refuses, closes without a word or says something else. A <c>protocol: tcp</c> service's bytes cannot be judged, so
    /// accepting is enough. Waits as long as <paramref name="cancellationToken"/> allows (the caller's grace), then throws.
    /// </summary>
    /// <param name="otherVersion">Speak the other HTTP version this time: a server that closes without a word on the
    /// first may speak only the other (an HTTP/2-only gRPC server with <c>ready: tcp</c>), so callers that ask again alternate.</param>
    public static async Task<bool> AnswersAsync(ServiceSpec service, IPEndPoint endpoint, CancellationToken cancellationToken, bool otherVersion = false)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            if (service.Protocol == ServiceProtocol.Tcp)
            {
                return true;
            }

            // A gRPC service may speak HTTP/2 only, so it gets what its clients send; anything else gets HTTP/1.1, which
            // every HTTP server of the mesh's (HTTP/1.1 + h2c) speaks.
            var hello = (service.Ready.Kind == ReadyKind.Grpc) != otherVersion ? Http2Hello : Http1Request(service.Ready.HttpPath, endpoint);
            await socket.SendAsync(hello, cancellationToken).ConfigureAwait(false);
            var answer = new byte[FrameHeaderLength];
            var read = 0;
            while (read < answer.Length)
            {
                var received = await socket.ReceiveAsync(answer.AsMemory(read), cancellationToken).ConfigureAwait(false);
                if (received == 0)
                {
                    break;
                }

                read += received;
                if (IsHttpAnswer(answer.AsSpan(0, read)))
                {
                    return true;
                }
            }

            return false;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>True when <paramref name="start"/> (the first bytes received) begins an HTTP/1.x status line or is an HTTP/2 SETTINGS or GOAWAY frame header.</summary>
    internal static bool IsHttpAnswer(ReadOnlySpan<byte> start) =>
        start.StartsWith("HTTP/"u8)
        || (start.Length >= FrameHeaderLength && start[3] is SettingsFrame or GoAwayFrame && start[5..FrameHeaderLength].IndexOfAnyExcept((byte)0) < 0);

    private static byte[] Http1Request(string? path, IPEndPoint endpoint)
    {
        var target = string.IsNullOrEmpty(path) ? "/" : path.StartsWith('/') ? path : "/" + path;
        var host = endpoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]" : endpoint.Address.ToString();
        return Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"GET {target} HTTP/1.1\r\nHost: {host}:{endpoint.Port}\r\nUser-Agent: meshdev\r\nConnection: close\r\n\r\n"));
    }
}
