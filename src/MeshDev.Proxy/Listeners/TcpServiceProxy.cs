using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MeshDev.Activation;
using MeshDev.Calls;
using Microsoft.Extensions.Logging;

namespace MeshDev.Proxy.Listeners;

/// <summary>
/// The mesh port of a <c>protocol: tcp</c> service (a database, a cache): the first connection launches the service,
/// waits until it is ready, then relays bytes both ways. Concurrent first connections share the launch; a failed
/// launch closes the connection at once. An open connection holds a lease, so it counts as activity. Each connection is
/// one call in the call graph (counted when it opens, listed among the recent requests when it closes).
/// </summary>
/// <remarks>
/// Served on a socket of its own rather than through Kestrel, and relayed by two threads per open connection doing
/// blocking reads and writes: there is no HTTP to parse, and a blocked read is woken by the kernel directly, without
/// the event thread and thread-pool hops of async sockets or the pipes of Kestrel. In the bench (devtools/bench
/// --only tcp) a 1 KiB round trip cost the Kestrel relay about 43 µs of CPU, async sockets about the same, the threads
/// 26 µs (nginx <c>stream</c>: 20–22 µs). The price, two small-stack threads per open connection, suits what a dev
/// mesh relays (database and cache connection pools: tens of connections). A half-close is passed on; a reset ends both sides.
/// </remarks>
public sealed partial class TcpServiceProxy : IAsyncDisposable
{
    // Per direction of an open connection, rented while it is open: bulk transfers move in large reads.
    private const int BufferSize = 64 * 1024;

    private readonly ServiceActivator _activator;
    private readonly CallerTracker _callers;
    private readonly ILogger _logger;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Socket, Task> _connections = new();
    private Task _accepting = Task.CompletedTask;

    public TcpServiceProxy(int port, ServiceActivator activator, CallerTracker callers, ILogger logger)
    {
        _activator = activator;
        _callers = callers;
        _logger = logger;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Port = port;
    }

    public int Port { get; }

    /// <summary>Binds 127.0.0.1:<see cref="Port"/> and starts accepting; an <see cref="IOException"/> when the port is taken.</summary>
    public void Start()
    {
        try
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, Port));
            _listener.Listen(512);
        }
        catch (SocketException ex)
        {
            throw new IOException($"127.0.0.1:{Port} (mesh port of '{_activator.Service.Name}'): {ex.Message}", ex);
        }

        _accepting = AcceptAsync();
    }

    private Task AcceptAsync() => AcceptLoop.RunAsync(_listener, client =>
    {
        // Registered before it runs, so that its own removal (when it ends at once) cannot come first.
        _connections[client] = Task.CompletedTask;
        _connections.TryUpdate(client, HandleAsync(client), Task.CompletedTask);
    }, error => LogAcceptFailed(_logger, _activator.Service.Name, error), _stopping.Token);

    private async Task HandleAsync(Socket client)
    {
        await Task.Yield(); // off the accept loop
        var caller = _callers.Track(client.RemoteEndPoint, client.LocalEndPoint);
        var started = caller.BeginCall(_activator.Service.Name);
        try
        {
            await ServeAsync(client, caller).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client or the service reset the connection, or the mesh is stopping: both sides are closed below.
        }
        finally
        {
            caller.EndCall(_activator.Service.Name, "TCP", null, 0, started);
            client.Dispose();
            _connections.TryRemove(client, out _);
        }
    }

    private async Task ServeAsync(Socket client, CallerConnection caller)
    {
        ActivityLease lease;
        try
        {
            // The launch reason is made only when the service is not ready: nothing more per connection otherwise.
            // A client that leaves meanwhile is not watched (that would take its socket out of blocking mode, which the
            // relay threads need): its wait ends with the launch, and the relay then sees it closed.
            lease = _activator.TryAcquire(out var ready) ? ready : await _activator.AcquireAsync(LaunchReason.CallFrom(caller), _stopping.Token).ConfigureAwait(false);
        }
        catch (ServiceUnavailableException ex)
        {
            LogLaunchFailed(_logger, _activator.Service.Name, client.RemoteEndPoint?.ToString(), ex.Failure.Cause);
            client.Close(0);
            return;
        }

        using (lease)
        {
            using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                upstream.Connect(lease.Endpoint.Host, lease.Endpoint.Port);
            }
            catch (SocketException ex)
            {
                LogConnectFailed(_logger, _activator.Service.Name, lease.Endpoint.ToString(), ex.Message);
                _activator.ReportUnreachable();
                client.Close(0);
                return;
            }

            await RelayAsync(client, upstream).ConfigureAwait(false);
        }
    }

    private Task RelayAsync(Socket client, Socket upstream)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stop = _stopping.Token.Register(() =>
        {
            client.Close(0);
            upstream.Close(0);
        });
        var directions = 2;
        void Direction(Socket from, Socket to)
        {
            if (!Copy(from, to))
            {
                client.Close(0);
                upstream.Close(0);
            }

            if (Interlocked.Decrement(ref directions) == 0)
            {
                stop.Dispose();
                done.SetResult();
            }
        }

        StartThread(() => Direction(client, upstream));
        StartThread(() => Direction(upstream, client));
        return done.Task;
    }

    private static void StartThread(Action action) =>
        new Thread(() => action(), 128 * 1024) { IsBackground = true, Name = "meshdev tcp relay" }.Start();

    /// <summary>Copies until <paramref name="from"/> half-closes (true, passed on as a half-close) or fails (false).</summary>
    private static bool Copy(Socket from, Socket to)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                var read = from.Receive(buffer, SocketFlags.None);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return true;
                }

                var sent = 0;
                while (sent < read)
                {
                    sent += to.Send(buffer, sent, read - sent, SocketFlags.None);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // A reset, or the other thread closed both sockets: on a thread of its own, nothing may escape.
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Stops accepting and resets every open connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Service}: closed the connection from {Client}: the launch failed: {Cause}")]
    private static partial void LogLaunchFailed(ILogger logger, string service, string? client, string cause);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Service}: could not connect to {Endpoint}: {Error}")]
    private static partial void LogConnectFailed(ILogger logger, string service, string endpoint, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Service}: could not accept a connection: {Error}")]
    private static partial void LogAcceptFailed(ILogger logger, string service, string error);
}
