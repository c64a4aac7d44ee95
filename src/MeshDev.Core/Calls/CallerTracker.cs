using System.Net;
using System.Threading.Channels;

namespace MeshDev.Calls;

/// <summary>
/// Gives each connection to the mesh its <see cref="CallerConnection"/> at once and looks up who is calling in the
/// background, once per connection, for all connections that arrived meanwhile together (see <see cref="CallerResolver"/>).
/// Nothing of this runs on the request path.
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

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stopping.Dispose();
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
