namespace MeshDev.Calls;

/// <summary>The observed call graph at one moment: who called whom, how often, and the latest requests.</summary>
/// <param name="At">When it was taken.</param>
/// <param name="Nodes"><see cref="CallGraph.External"/> first, then the services in manifest order.</param>
/// <param name="Edges">Every caller → service pair seen so far, ordered as <paramref name="Nodes"/> (caller, then service).</param>
/// <param name="Recent">The latest requests to have ended, the last begun first.</param>
public sealed record CallGraphSnapshot(DateTimeOffset At, IReadOnlyList<string> Nodes, IReadOnlyList<CallEdge> Edges, IReadOnlyList<RecentRequest> Recent)
{
    /// <summary>
    /// The graph with only the nodes on an edge (called, or calling) and the <paramref name="running"/> services, in the
    /// order of <see cref="Nodes"/>: in a mesh of hundreds of services, the few that took part, not a field of unconnected boxes.
    /// </summary>
    public CallGraphSnapshot OnlyCalled(IEnumerable<string> running)
    {
        var shown = new HashSet<string>(running, StringComparer.Ordinal);
        foreach (var edge in Edges)
        {
            shown.Add(edge.From);
            shown.Add(edge.To);
        }

        return this with { Nodes = [.. Nodes.Where(shown.Contains)] };
    }
}

/// <summary>One edge of the call graph: <paramref name="From"/> (a service or <see cref="CallGraph.External"/>) called <paramref name="To"/> <paramref name="Count"/> times.</summary>
public sealed record CallEdge(string From, string To, long Count, DateTimeOffset LastSeen);

/// <summary>One request through the mesh (a TCP service's connection: method <c>TCP</c>, no path, status 0).</summary>
/// <param name="At">When it began.</param>
/// <param name="Caller">The calling service, <see cref="CallGraph.External"/>, or <see cref="CallGraph.Unresolved"/> for a moment.</param>
public sealed record RecentRequest(DateTimeOffset At, string Caller, string Service, string Method, string Path, int Status, double DurationMs);
