using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace MeshDev.Kubernetes.Forwarding;

/// <summary>
/// A free port on 127.0.0.1 that stands for a pod: each accepted connection opens one port-forward WebSocket to the
/// pod chosen at that moment (through the API server, so nothing but the developer's own credentials is needed) and
/// pipes both ways. The mesh routes to this port like to any local instance, and the activator counts the proxied
/// connections for its idle logic as it does for every runtime.
/// </summary>
internal sealed class PortForwardListener : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<string?> _currentPod;
    private readonly Func<string, CancellationToken, Task<WebSocket>> _connect;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _closing = new();
    private readonly ConcurrentDictionary<Socket, Task> _connections = new();
    private readonly Task _accepting;
    private int _disposed;

    /// <param name="currentPod">The pod to forward to now; null while none is ready (the connection is refused).</param>
    /// <param name="connect">Opens a port-forward WebSocket to the pod.</param>
    /// <param name="log">Lines for the service's log (a refused or failed forward).</param>
    public PortForwardListener(Func<string?> currentPod, Func<string, CancellationToken, Task<WebSocket>> connect, Action<string> log)
    {
        _currentPod = currentPod;
        _connect = connect;
        _log = log;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    /// <summary>The local port that forwards to the pod.</summary>
    public int Port { get; }

    /// <summary>Connections open right now.</summary>
    public int OpenConnections => _connections.Count;


    private async Task AcceptAsync()
    {
        while (!_closing.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_closing.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            socket.NoDelay = true;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _connections[socket] = done.Task;
            _ = Task.Run(async () =>
            {
                try
                {
                    await ForwardAsync(socket).ConfigureAwait(false);
                }
                finally
                {
                    _connections.TryRemove(socket, out _);
                    socket.Dispose();
                    done.TrySetResult();
                }
            });
        }
    }

    private async Task ForwardAsync(Socket socket)
    {
        if (_currentPod() is not { } pod)
        {
            // No pod is ready (it went away a moment ago): a refused connection, so the caller's proxy reports it at once.
            socket.Close(0);
            return;
        }

        WebSocket tunnel;
        try
        {
            tunnel = await _connect(pod, _closing.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (!_closing.IsCancellationRequested)
        {
            _log($"meshdev: port-forward to pod {pod} failed: {Cluster.ApiErrors.ServerMessage(e)}");
            socket.Close(0);
            return;
        }
        catch (OperationCanceledException)
        {
            return;
        }

        using (tunnel)
        {
            await PortForwardTunnel.PipeAsync(socket, tunnel, error => _log($"meshdev: port-forward to pod {pod}: {error}"), _closing.Token).ConfigureAwait(false);
        }
    }

    /// <summary>Stops accepting and cuts every open connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _accepting.ConfigureAwait(false);
        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
    }
}
