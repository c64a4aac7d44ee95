using System.Collections.Frozen;

namespace MeshDev.Routing;

/// <summary>
/// Picks the service for a request the way Envoy would with our listeners: a service's own mesh port takes
/// everything; on the shared port the Host (any port) selects a virtual host, then the longest path prefix wins.
/// Allocation-free on the hot path.
/// </summary>
public sealed class RouteMatcher
{
    private readonly FrozenDictionary<int, string> _serviceByPort;
    private readonly Dictionary<string, VirtualHost> _hostByDomain;
    private readonly Dictionary<string, VirtualHost>.AlternateLookup<ReadOnlySpan<char>> _hostLookup;
    private readonly VirtualHost? _anyHost;

    public RouteMatcher(RoutingSnapshot snapshot)
    {
        _serviceByPort = snapshot.Listeners.Where(l => l.Service is not null).ToFrozenDictionary(l => l.Port, l => l.Service!);
        SharedPort = snapshot.Listeners.Single(l => l.Service is null).Port;
        _hostByDomain = new Dictionary<string, VirtualHost>(StringComparer.OrdinalIgnoreCase);
        foreach (var virtualHost in snapshot.SharedRoutes.VirtualHosts)
        {
            foreach (var domain in virtualHost.Domains)
            {
                _hostByDomain.TryAdd(domain, virtualHost);
            }
        }

        _hostLookup = _hostByDomain.GetAlternateLookup<ReadOnlySpan<char>>();
        _hostByDomain.Remove(RoutingTable.AnyDomain, out _anyHost);
        KnownServices = [.. snapshot.Clusters.Keys.Order(StringComparer.Ordinal)];
        KnownGrpcServices = [.. snapshot.SharedRoutes.VirtualHosts.SelectMany(v => v.Routes).Where(r => r.Grpc).Select(r => r.PathPrefix[1..]).Distinct().Order(StringComparer.Ordinal)];
    }

    /// <summary>gRPC service names routed on the shared port, for UNIMPLEMENTED messages.</summary>
    public IReadOnlyList<string> KnownGrpcServices { get; }

    public int SharedPort { get; }

    /// <summary>Service names, for "unknown service" messages.</summary>
    public IReadOnlyList<string> KnownServices { get; }

    /// <summary>Returns the cluster (service) for a request, or null when nothing in the manifest matches.</summary>
    /// <param name="localPort">The mesh port the connection arrived on.</param>
    /// <param name="host">The Host header (or :authority), with or without port.</param>
    /// <param name="path">The request path.</param>
    public string? Match(int localPort, ReadOnlySpan<char> host, ReadOnlySpan<char> path)
    {
        if (_serviceByPort.TryGetValue(localPort, out var service))
        {
            return service;
        }

        if (_hostLookup.TryGetValue(HostName(host), out var virtualHost) && MatchRoutes(virtualHost, path) is { } cluster)
        {
            return cluster;
        }

        return virtualHost is null && _anyHost is not null ? MatchRoutes(_anyHost, path) : null;
    }

    private static string? MatchRoutes(VirtualHost virtualHost, ReadOnlySpan<char> path)
    {
        foreach (var route in virtualHost.Routes)
        {
            if (MatchesPrefix(path, route.PathPrefix))
            {
                return route.Cluster;
            }
        }

        return null;
    }

    /// <summary>
    /// The name a Host header gives, as the manifest writes names: without its port, and without the trailing dot of a
    /// fully qualified name (<c>orders.:15000</c> → <c>orders</c>), which names the same host (RFC 1034 §3.1).
    /// </summary>
    public static ReadOnlySpan<char> HostName(ReadOnlySpan<char> host)
    {
        var name = StripPort(host);
        return name.Length > 1 && name[^1] == '.' ? name[..^1] : name;
    }

    /// <summary><c>orders:8080</c> → <c>orders</c>; <c>[::1]:15000</c> → <c>[::1]</c>.</summary>
    public static ReadOnlySpan<char> StripPort(ReadOnlySpan<char> host)
    {
        if (host.Length > 0 && host[0] == '[')
        {
            var close = host.IndexOf(']');
            return close < 0 ? host : host[..(close + 1)];
        }

        var colon = host.LastIndexOf(':');
        return colon < 0 ? host : host[..colon];
    }

    private static bool MatchesPrefix(ReadOnlySpan<char> path, string prefix)
    {
        // "/" (stored trimmed as "") matches everything.
        if (prefix.Length <= 1)
        {
            return true;
        }

        return path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
            && (path.Length == prefix.Length || path[prefix.Length] == '/');
    }
}
