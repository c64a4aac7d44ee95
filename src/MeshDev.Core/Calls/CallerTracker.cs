using System.Net;
using System.Threading.Channels;

namespace MeshDev.Calls;

/// <summary>
/// Gives each connection to the mesh its <see cref="CallerConnection"/> at once, and its caller with it when the
/// kernel can tell: the client socket's cgroup (one sock_diag query as the connection is accepted, a few microseconds)
/// is a launched instance's own — which holds also for a client that opens a connection per request and is gone a
/// moment later. Otherwise (no cgroups, a container, the IDE, curl) the caller is looked up in the background, once per
/// connection, for all connections that arrived meanwhile together (see <see cref="CallerResolver"/>). Nothing of this
/// runs per request.
/// </summary>
public sealed class CallerTracker : IAsyncDisposable
{
    /// <summary>
    /// After a lookup that took t, the next waits 4·t (at most a second): the lookup reads all of /proc, and clients that
    /// open a connection per request must not make it a core's work. Connections that arrive meanwhile share the next one.
    /// </summary>
    private const int PauseFactor = 4;
    private static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(1);

    private readonly CallerResolver _resolver;
    private readonly Func<IReadOnlyList<CallerRoot>> _roots;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly ClusterCalls? _cluster;
    private readonly SocketDiagnostics? _sockets = SocketDiagnostics.TryOpen();
    private readonly Lock _cgroupsGate = new();
    private Dictionary<string, ulong?> _cgroupIds = new(StringComparer.Ordinal);
    private volatile Dictionary<ulong, string> _serviceByCgroup = [];
    private long _cgroupsReadAt;
    private readonly Task _loop;

    /// <param name="roots">The processes (and ports) of the services right now; asked once per batch of connections.</param>
    /// <param name="cluster">Connections the mesh itself makes for pods, whose callers are announced rather than looked up.</param>
    public CallerTracker(CallGraph graph, Func<IReadOnlyList<CallerRoot>> roots, CallerResolver? resolver = null, ClusterCalls? cluster = null)
    {
        Graph = graph;
        _roots = roots;
        _cluster = cluster;
        _resolver = resolver ?? new CallerResolver();
        _loop = Task.Run(ResolveLoopAsync);
    }

    public CallGraph Graph { get; }

    /// <summary>A new connection from <paramref name="client"/> to the mesh's <paramref name="server"/> end point.</summary>
    public CallerConnection Track(EndPoint? client, EndPoint? server)
    {
        // Only a loopback client can be a process of this machine; the mesh listens on loopback only anyway.
        if (client is IPEndPoint announced && _cluster?.CallerOf(announced) is { } caller)
        {
            var fromPod = Graph.NewConnection(caller);
            fromPod.Link = _cluster;
            return fromPod;
        }

        if (OperatingSystem.IsLinux() && client is IPEndPoint from && server is IPEndPoint to && IPAddress.IsLoopback(from.Address))
        {
            if (ServiceByCgroup(from, to) is { } service)
            {
                return Graph.NewConnection(service);
            }

            var connection = Graph.NewConnection();
            if (_queue.Writer.TryWrite(new Pending(connection, from, to)))
            {
                return connection;
            }

            connection.Resolve(CallGraph.External); // shutting down
            return connection;
        }

        return Graph.NewConnection(CallGraph.External);
    }

    /// <summary>The service whose instance's cgroup created the client socket; null when it is none of theirs (or unknown).</summary>
    private string? ServiceByCgroup(IPEndPoint client, IPEndPoint server)
    {
        if (_sockets is null || !_sockets.TryFind(client, server, out var cgroupId, out _) || cgroupId == 0)
        {
            return null;
        }

        if (_serviceByCgroup.TryGetValue(cgroupId, out var service))
        {
            return service;
        }

        // An instance that started since the map was made: read the roots again, at most every few milliseconds (a
        // client outside every instance, curl or the IDE, misses every time).
        var now = Graph.Time.GetTimestamp();
        if (Graph.Time.GetElapsedTime(Interlocked.Read(ref _cgroupsReadAt), now) < CgroupsRefresh)
        {
            return null;
        }

        lock (_cgroupsGate)
        {
            Interlocked.Exchange(ref _cgroupsReadAt, now);
            var map = new Dictionary<ulong, string>();
            IReadOnlyList<CallerRoot> roots;
            try
            {
                roots = _roots();
            }
            catch (Exception)
            {
                return null;
            }

            // Only the instances running now are kept: the map stays as large as the mesh, however many launches it saw.
            var ids = new Dictionary<string, ulong?>(StringComparer.Ordinal);
            foreach (var root in roots.Where(r => r.Cgroup is not null))
            {
                var id = _cgroupIds.TryGetValue(root.Cgroup!, out var read) ? read : Runtime.Cgroup.IdOf(root.Cgroup!);
                ids[root.Cgroup!] = id;
                if (id is { } known)
                {
                    map[known] = root.Service;
                }
            }

            _cgroupIds = ids;
            _serviceByCgroup = map;
            return map.GetValueOrDefault(cgroupId);
        }
    }

    private static readonly TimeSpan CgroupsRefresh = TimeSpan.FromMilliseconds(20);

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stopping.Dispose();
        _sockets?.Dispose();
    }

    private async Task ResolveLoopAsync()
    {
        var batch = new List<Pending>();
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (_queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            var started = Graph.Time.GetTimestamp();
            IReadOnlyList<string> callers;
            try
            {
                callers = _resolver.Resolve([.. batch.Select(p => (p.Client, p.Server))], _roots());
            }
            catch (Exception)
            {
                // /proc is read while processes come and go; whatever goes wrong, these count as external, later ones are looked up.
                callers = [.. batch.Select(_ => CallGraph.External)];
            }

            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Connection.Resolve(callers[i]);
            }

            var pause = Graph.Time.GetElapsedTime(started) * PauseFactor;
            try
            {
                await Task.Delay(pause < MaxPause ? pause : MaxPause, Graph.Time, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopping: what is still queued is looked up at once, for the record.
            }
        }
    }

    private sealed record Pending(CallerConnection Connection, IPEndPoint Client, IPEndPoint Server);
}
