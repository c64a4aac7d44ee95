namespace MeshDev.Calls;

/// <summary>
/// One client connection to the mesh and who is on the other end. Its caller is looked up once, in the background
/// (<see cref="CallerTracker"/>); requests before that are counted here and handed to the <see cref="CallGraph"/> as soon
/// as the caller is known. The request path costs a counter increment and a few field writes: no lock once the caller
/// is known, no allocation, no lookup while the connection keeps calling the same service.
/// </summary>
public sealed class CallerConnection
{
    private readonly CallGraph _graph;
    private readonly Lock _gate = new();
    private volatile string? _caller;
    private EdgeCounter? _edge; // the edge of the last call: connections mostly call one service
    private List<PendingCalls>? _pending;

    internal CallerConnection(CallGraph graph, string? caller, int number)
    {
        _graph = graph;
        _caller = caller;
        Number = number;
    }

    /// <summary>The connection's number, in the order the mesh accepted connections (1, 2, …; wraps around past int.MaxValue).</summary>
    public int Number { get; }

    /// <summary>
    /// Set when the connection comes from a pod, through its gateway's link: once the service it calls can be reached
    /// pod to pod, the mesh asks the client to reconnect, so that its next connection goes straight to that pod.
    /// </summary>
    public ClusterCalls? Link { get; internal set; }

    /// <summary>The calling service, <see cref="CallGraph.External"/>, or null while it is being looked up.</summary>
    public string? Caller => _caller;

    /// <summary>A request (or a TCP connection) to <paramref name="service"/> begins: counts it; returns its start timestamp for <see cref="EndCall"/>.</summary>
    public long BeginCall(string service)
    {
        var now = _graph.Time.GetTimestamp();
        if (_caller is not { } caller && !TryCountPending(service, now, out caller))
        {
            _graph.NotifyChanged();
            return now;
        }

        var edge = _edge;
        if (edge is null || !ReferenceEquals(edge.Service, service) && edge.Service != service)
        {
            _edge = edge = _graph.Edge(caller, service);
        }

        edge.Hit(now);
        _graph.NotifyChanged();
        return now;
    }

    /// <summary>The request has been answered: adds it to the recent requests.</summary>
    /// <param name="status">The HTTP status; 0 for a TCP connection.</param>
    public void EndCall(string service, string method, string? path, int status, long started) =>
        _graph.AddRecent(this, service, method, path, status, started);

    /// <summary>Hands what was counted meanwhile to the graph, then sets the caller: whoever sees the caller sees those calls on its edges.</summary>
    internal void Resolve(string caller)
    {
        lock (_gate)
        {
            if (_caller is not null)
            {
                return;
            }

            // Before the caller is published, not after: a snapshot in between would show this connection's requests
            // with their caller but without their calls on its edge. Calls arriving meanwhile wait for the lock, then
            // see the caller; they are never counted twice nor lost.
            foreach (var calls in _pending ?? [])
            {
                _graph.Edge(caller, calls.Service).Add(calls.Count, calls.LastSeen);
            }

            _pending = null;
            _caller = caller;
        }

        _graph.CallerResolved();
    }

    /// <summary>False while the caller is unknown (the call is kept for later); true with the caller when it became known meanwhile.</summary>
    private bool TryCountPending(string service, long now, out string caller)
    {
        lock (_gate)
        {
            if (_caller is { } known)
            {
                caller = known;
                return true;
            }

            _pending ??= [];
            var calls = _pending.Find(p => p.Service == service);
            if (calls is null)
            {
                _pending.Add(calls = new PendingCalls(service));
            }

            calls.Count++;
            calls.LastSeen = now;
            caller = "";
            return false;
        }
    }

    private sealed class PendingCalls(string service)
    {
        public string Service { get; } = service;

        public long Count { get; set; }

        public long LastSeen { get; set; }
    }
}
