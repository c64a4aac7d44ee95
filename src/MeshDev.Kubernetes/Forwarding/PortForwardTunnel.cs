using System.Buffers;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace MeshDev.Kubernetes.Forwarding;

/// <summary>
/// One forwarded connection over the API server's WebSocket port-forward protocol (<c>v4.channel.k8s.io</c>, one
/// port): every binary message starts with a channel byte — 0 carries the connection's bytes both ways, 1 carries the
/// kubelet's error text — and the server opens each channel with the port number (2 bytes, little endian), skipped here.
/// </summary>
internal static class PortForwardTunnel
{
    /// <summary>The sub-protocol asked for; the kubelet's binary channel protocol, which every API server since 1.x speaks for port-forward.</summary>
    public const string Protocol = "v4.channel.k8s.io";

    private const byte DataChannel = 0;
    private const byte ErrorChannel = 1;
    private const int PortHeaderLength = 2;
    private const int ChunkSize = 64 * 1024;

    /// <summary>How long a closed local side waits for the pod's side to finish before the tunnel is cut.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Pipes <paramref name="local"/> and <paramref name="tunnel"/> both ways until either ends. <paramref name="onError"/>
    /// gets the kubelet's error text (e.g. nothing listens on the port inside the pod).
    /// </summary>
    public static async Task PipeAsync(Socket local, WebSocket tunnel, Action<string> onError, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var toPod = CopyToPodAsync(local, tunnel, stop.Token);
        var fromPod = CopyFromPodAsync(tunnel, local, onError, stop.Token);
        var first = await Task.WhenAny(toPod, fromPod).ConfigureAwait(false);
        try
        {
            if (first == toPod && toPod.IsCompletedSuccessfully)
            {
                // The protocol has no half-close: a local end (EOF) closes the tunnel, and what the pod still sends on
                // its way is delivered while the close handshake completes.
                await CloseAsync(tunnel).ConfigureAwait(false);
                await fromPod.WaitAsync(DrainTimeout, cancellationToken).ConfigureAwait(false);
            }
            else if (first == fromPod && fromPod.IsCompletedSuccessfully)
            {
                // The pod's side closed: pass the end on, so the local client sees EOF rather than a reset.
                local.Shutdown(SocketShutdown.Send);
            }
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException or SocketException or ObjectDisposedException or WebSocketException)
        {
            // Cut below.
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            tunnel.Abort();
            local.Close();
            await Task.WhenAll(toPod, fromPod).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    private static async Task CopyToPodAsync(Socket local, WebSocket tunnel, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize + 1);
        try
        {
            buffer[0] = DataChannel;
            while (true)
            {
                var read = await local.ReceiveAsync(buffer.AsMemory(1, ChunkSize), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                await tunnel.SendAsync(buffer.AsMemory(0, read + 1), WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task CopyFromPodAsync(WebSocket tunnel, Socket local, Action<string> onError, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        var headerLeft = new[] { PortHeaderLength, PortHeaderLength };
        var errors = new StringBuilder();
        try
        {
            var atMessageStart = true;
            byte channel = DataChannel;
            while (true)
            {
                var received = await tunnel.ReceiveAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                var data = buffer.AsMemory(0, received.Count);
                if (atMessageStart && data.Length > 0)
                {
                    channel = data.Span[0];
                    data = data[1..];
                }

                atMessageStart = received.EndOfMessage;
                if (channel > ErrorChannel)
                {
                    continue;
                }

                var skip = Math.Min(headerLeft[channel], data.Length);
                headerLeft[channel] -= skip;
                data = data[skip..];
                if (data.IsEmpty)
                {
                    continue;
                }

                if (channel == DataChannel)
                {
                    await local.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    errors.Append(Encoding.UTF8.GetString(data.Span));
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (errors.Length > 0)
            {
                onError(errors.ToString().Trim());
            }
        }
    }

    private static async Task CloseAsync(WebSocket tunnel)
    {
        if (tunnel.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var timeout = new CancellationTokenSource(DrainTimeout);
            await tunnel.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
        }
    }
}
