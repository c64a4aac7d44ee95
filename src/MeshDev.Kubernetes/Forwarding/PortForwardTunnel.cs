using System.Buffers;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;

namespace MeshDev.Kubernetes.Forwarding;

/// <summary>
/// One forwarded connection over the API server's WebSocket port-forward protocol (<c>v4.channel.k8s.io</c>, one
/// port): every binary message starts with a channel byte — 0 carries the connection's bytes both ways, 1 carries the
/// kubelet's error text — and the server opens each channel with the port number (2 bytes, little endian); reading
/// them apart is <see cref="PortForwardStream"/>'s.
/// </summary>
internal static class PortForwardTunnel
{
    /// <summary>The sub-protocol asked for; the kubelet's binary channel protocol, which every API server since 1.x speaks for port-forward.</summary>
    public const string Protocol = "v4.channel.k8s.io";

    private const byte DataChannel = 0;
    private const int ChunkSize = 64 * 1024;

    /// <summary>After the local side's end, how long the pod's side may be silent before the tunnel is closed.</summary>
    internal static readonly TimeSpan QuietAfterLocalEnd = TimeSpan.FromSeconds(5);

    /// <summary>How long the close handshake may take before the tunnel is cut.</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Pipes <paramref name="local"/> and <paramref name="tunnel"/> both ways until either ends. <paramref name="onError"/>
    /// gets the kubelet's error text (e.g. nothing listens on the port inside the pod).
    /// </summary>
    public static async Task PipeAsync(Socket local, WebSocket tunnel, Action<string> onError, CancellationToken cancellationToken, TimeSpan? quietAfterLocalEnd = null)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var lastFromPod = new StrongBox<long>(Environment.TickCount64);
        var toPod = CopyToPodAsync(local, tunnel, stop.Token);
        var fromPod = CopyFromPodAsync(tunnel, local, onError, lastFromPod, stop.Token);
        var first = await Task.WhenAny(toPod, fromPod).ConfigureAwait(false);
        try
        {
            if (first == toPod && toPod.IsCompletedSuccessfully)
            {
                // The protocol has no half-close, and a kubelet that receives a close message drops the connection at
                // once, with what the pod is still sending. So a local end (a client that shut down its sending side,
                // as `nc -N` does, and waits for the answer) keeps the tunnel open while the pod's side still sends,
                // and closes it once that side ends or has been quiet for a while.
                await DrainAsync(fromPod, lastFromPod, quietAfterLocalEnd ?? QuietAfterLocalEnd, cancellationToken).ConfigureAwait(false);
                await CloseAsync(tunnel).ConfigureAwait(false);
                await fromPod.WaitAsync(CloseTimeout, cancellationToken).ConfigureAwait(false);
            }
            else if (first == fromPod && fromPod.IsCompletedSuccessfully)
            {
                // The pod's side closed: pass the end on, so the local client sees EOF rather than a reset.
                local.Shutdown(SocketShutdown.Send);
            }
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException or SocketException or ObjectDisposedException or WebSocketException or IOException)
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

    private static async Task DrainAsync(Task fromPod, StrongBox<long> lastFromPod, TimeSpan quiet, CancellationToken cancellationToken)
    {
        while (!fromPod.IsCompleted)
        {
            var silentFor = TimeSpan.FromMilliseconds(Environment.TickCount64 - Volatile.Read(ref lastFromPod.Value));
            if (silentFor >= quiet)
            {
                return;
            }

            await Task.WhenAny(fromPod, Task.Delay(quiet - silentFor, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
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

    private static async Task CopyFromPodAsync(WebSocket tunnel, Socket local, Action<string> onError, StrongBox<long> lastFromPod, CancellationToken cancellationToken)
    {
        // Read only, never disposed here: the tunnel is the caller's to close.
        var fromPod = new PortForwardStream(tunnel);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            while (true)
            {
                int read;
                try
                {
                    read = await fromPod.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
                }
                catch (IOException) when (fromPod.ErrorText is not null)
                {
                    return; // the close after the kubelet's error text, which is reported below
                }

                if (read == 0)
                {
                    return;
                }

                await local.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref lastFromPod.Value, Environment.TickCount64);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (fromPod.ErrorText is { } error)
            {
                onError(error);
            }
        }
    }

    private static async Task CloseAsync(WebSocket tunnel)
    {
        if (tunnel.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var timeout = new CancellationTokenSource(CloseTimeout);
            await tunnel.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
        }
    }
}
