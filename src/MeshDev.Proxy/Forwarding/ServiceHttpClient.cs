using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;

namespace MeshDev.Proxy.Forwarding;

/// <summary>
/// The HTTP client the mesh forwards with: YARP's forwarder settings (no proxy, no redirects, no decompression, no
/// cookies, several HTTP/2 connections), plus what the mesh needs: connections that are transparent to HTTP/1.0
/// servers (<see cref="ServiceConnection"/>) and no trace-context handler.
/// </summary>
public static class ServiceHttpClient
{
    /// <summary>
    /// Idle connections are dropped sooner than common servers drop them (Node.js after 5 s), so a request rarely meets
    /// a connection the server is closing at that moment; loopback connections are cheap to open again.
    /// </summary>
    internal static readonly TimeSpan PooledConnectionIdleTimeout = TimeSpan.FromSeconds(4);

    /// <summary>Creates the invoker; one per mesh, shared by every service (connections are pooled per instance address).</summary>
    public static HttpMessageInvoker Create(TimeProvider? time = null)
    {
        var gate = new ConnectionGate(time ?? TimeProvider.System);
        return new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        EnableMultipleHttp2Connections = true,
        // No trace-context handler: a caller's traceparent is copied with the other headers, and while the mesh exports
        // traces MeshTransformer replaces it with the mesh span's.
        ActivityHeadersPropagator = null,
        // Byte for byte both ways, as the mesh's listeners read and write them (MeshListeners): a header value with
        // bytes beyond ASCII (UTF-8 text, Latin-1) reaches the other side unchanged instead of failing the request.
        RequestHeaderEncodingSelector = static (_, _) => Encoding.Latin1,
        ResponseHeaderEncodingSelector = static (_, _) => Encoding.Latin1,
        ConnectTimeout = TimeSpan.FromSeconds(15),
        PooledConnectionIdleTimeout = PooledConnectionIdleTimeout,
        ConnectCallback = (context, cancellationToken) => ConnectAsync(gate, context, cancellationToken),
    }, disposeHandler: true);
    }

    private static async ValueTask<Stream> ConnectAsync(ConnectionGate gate, SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        // HTTP/2 (gRPC) multiplexes requests on one or two connections: nothing to pace or to watch per request there.
        var http1 = context.InitialRequestMessage.Version.Major < 2;
        var answered = http1 ? await gate.EnterAsync($"{context.DnsEndPoint.Host}:{context.DnsEndPoint.Port}", cancellationToken).ConfigureAwait(false) : null;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            answered?.Invoke();
            throw;
        }

        return http1 ? new ServiceConnection(socket, answered) : new NetworkStream(socket, ownsSocket: true);
    }
}
