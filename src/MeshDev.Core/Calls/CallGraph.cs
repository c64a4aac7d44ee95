using System.Collections.Concurrent;
using System.Collections.Frozen;

namespace MeshDev.Calls;

/// <summary>
/// Who called whom through the mesh, observed: per caller → service edge a count and when it was last seen, and a ring of
/// the latest requests. Written by the request path through <see cref="CallerConnection"/> (counters only), read as
/// <see cref="Snapshot"/>s by the dashboard and <c>meshdev graph</c>, which wait for changes with
/// <see cref="WaitForChangeAsync"/>.
/// </summary>
public sealed class CallGraph
{
    /// <summary>The caller of everything that does not come from a service of the mesh (curl, a browser, the IDE…).</summary>
    public const string External = "external";

    /// <summary>The caller of a request whose connection is still being looked up (a few milliseconds at most).</summary>
    public const string Unresolved = "resolving";

    public const int DefaultRecentCapacity = 256;

    private readonly FrozenDictionary<string, int> _order;
    private readonly ConcurrentDictionary<(string Caller, string Service), EdgeCounter> _edges = new();
    private readonly RecentRequests _recent;
    private long _resolved;
    private int _connections;
    private TaskCompletionSource? _changed;

    /// <param name="services">The services of the mesh, in manifest order.</param>
    /// <param name="recentCapacity">How many requests <see cref="Snapshot"/> can show at most (a power of two).</param>
    public CallGraph(IEnumerable<string> services, TimeProvider? time = null, int recentCapacity = DefaultRecentCapacity)
    {
        Nodes = [External, .. services];
        _order = Nodes.Select((name, i) => (name, i)).ToFrozenDictionary(n => n.name, n => n.i, StringComparer.Ordinal);
        Time = time ?? TimeProvider.System;
        _recent = new RecentRequests(recentCapacity);
    }

    /// <summary><see cref="External"/>, then the services.</summary>
    public IReadOnlyList<string> Nodes { get; }

    public TimeProvider Time { get; }

    /// <summary>Grows with every call, every answered request and every caller looked up; unchanged means nothing to show.</summary>
    public long Version => _recent.Written + Interlocked.Read(ref _resolved) + _edges.Sum(e => e.Value.Count);

    /// <summary>A connection whose caller is still to be found (see <see cref="CallerTracker"/>), or is known already.</summary>
    public CallerConnection NewConnection(string? caller = null) => new(this, caller, Interlocked.Increment(ref _connections));

    /// <summary>Calls made where the mesh's listeners did not see them (pod to pod inside the cluster), as their reporter counted them.</summary>
    public void Add(string caller, string service, long calls)
    {
        if (calls > 0)
        {
            Edge(caller, service).Add(calls, Time.GetTimestamp());
            NotifyChanged();
        }
    }

    /// <summary>Completes once <see cref="Version"/> differs from <paramref name="seenVersion"/>.</summary>
    public Task WaitForChangeAsync(long seenVersion, CancellationToken cancellationToken)
    {
        while (true)
        {
            var changed = Volatile.Read(ref _changed);
            if (changed is null)
            {
                var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                changed = Interlocked.CompareExchange(ref _changed, created, null) ?? created;
            }

            // Registered first, compared second: a change in between either shows in Version or completes the task.
            if (Version != seenVersion)
            {
                return Task.CompletedTask;
            }

            if (ReferenceEquals(Volatile.Read(ref _changed), changed))
            {
                return changed.Task.WaitAsync(cancellationToken);
            }
        }
    }

    /// <summary>The graph now, with up to <paramref name="recent"/> of the latest requests.</summary>
    public CallGraphSnapshot Snapshot(int recent = 100)
    {
        var now = Time.GetUtcNow();
        var edges = _edges.Select(e => e.Value)
            .Where(e => e.Count > 0)
            .OrderBy(e => Order(e.Caller)).ThenBy(e => Order(e.Service)).ThenBy(e => e.Caller, StringComparer.Ordinal)
            .Select(e => new CallEdge(e.Caller, e.Service, e.Count, At(now, e.LastSeen)))
            .ToArray();
        // The ring is in the order requests ended; a long one (a launch, a stream) is shown where it began.
        var requests = _recent.Latest(recent)
            .OrderByDescending(r => r.Started)
            .Select(r => new RecentRequest(At(now, r.Started), r.Connection.Caller ?? Unresolved, r.Service, r.Method, r.Path ?? "",
                r.Status, Time.GetElapsedTime(r.Started, r.Ended).TotalMilliseconds))
            .ToArray();
        return new CallGraphSnapshot(now, Nodes, edges, requests);
    }

    /// <summary>
    /// An edge seen in an earlier run of the mesh (<see cref="CallGraphStore"/>): its count and when it was last seen.
    /// Ignored when either end is not a node of this manifest any more.
    /// </summary>
    public void Restore(string caller, string service, long count, DateTimeOffset lastSeen)
    {
        if (count <= 0 || !_order.ContainsKey(caller) || !_order.ContainsKey(service) || service == External)
        {
            return;
        }

        var ago = Time.GetUtcNow() - lastSeen;
        var timestamp = Time.GetTimestamp() - (long)(Math.Max(0, ago.TotalSeconds) * Time.TimestampFrequency);
        Edge(caller, service).Add(count, timestamp);
        NotifyChanged();
    }

    /// <summary>The services <paramref name="caller"/> has been seen to call (in this run or, restored, in earlier ones).</summary>
    public IReadOnlyList<string> CalleesOf(string caller) =>
        [.. _edges.Values.Where(e => e.Count > 0 && string.Equals(e.Caller, caller, StringComparison.Ordinal)).Select(e => e.Service)];

    internal EdgeCounter Edge(string caller, string service) =>
        _edges.GetOrAdd((caller, service), static key => new EdgeCounter(key.Caller, key.Service));

    internal void AddRecent(CallerConnection connection, string service, string method, string? path, int status, long started)
    {
        _recent.Add(connection, service, method, path, status, started, Time.GetTimestamp());
        NotifyChanged();
    }

    /// <summary>Called after every change: costs one read unless someone waits.</summary>
    internal void NotifyChanged()
    {
        if (Volatile.Read(ref _changed) is { } changed && ReferenceEquals(Interlocked.CompareExchange(ref _changed, null, changed), changed))
        {
            changed.TrySetResult();
        }
    }

    /// <summary>A connection's caller became known: its requests so far change from <see cref="Unresolved"/> to it.</summary>
    internal void CallerResolved()
    {
        Interlocked.Increment(ref _resolved);
        NotifyChanged();
    }

    private int Order(string node) => _order.GetValueOrDefault(node, int.MaxValue);

    private DateTimeOffset At(DateTimeOffset now, long timestamp) => now - Time.GetElapsedTime(timestamp);
}
