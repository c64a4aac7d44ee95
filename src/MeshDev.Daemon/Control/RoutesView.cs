using System.Globalization;
using Envoy.Config.Endpoint.V3;
using MeshDev.Daemon.Hosting;
using MeshDev.Routing;
using MeshDev.Xds.Resources;
using MeshDev.Xds.Server;

namespace MeshDev.Daemon.Control;

/// <summary>
/// The <c>meshdev routes</c> answer: the routing table as the mesh serves it over xDS (one snapshot, so listeners,
/// routes and endpoints agree), each service's state, and the xDS clients with their last NACKs.
/// </summary>
public sealed record RoutesView(
    string Manifest,
    int HttpPort,
    int XdsPort,
    long RoutingVersion,
    IReadOnlyList<ListenerView> Listeners,
    IReadOnlyList<VirtualHostView> VirtualHosts,
    IReadOnlyList<ClusterView> Clusters,
    XdsView Xds)
{
    /// <summary>What <see cref="MeshHost"/> serves right now.</summary>
    public static RoutesView Of(MeshHost host)
    {
        var snapshot = host.XdsSnapshots.Current;
        var routing = snapshot.Routing;
        var meshPorts = routing.Listeners.Where(l => l.Service is not null).ToDictionary(l => l.Service!, l => l.Port, StringComparer.OrdinalIgnoreCase);
        var grpcByCluster = routing.SharedRoutes.VirtualHosts.SelectMany(h => h.Routes).Where(r => r.Grpc)
            .Select(r => (r.Cluster, Service: r.PathPrefix[1..])).Distinct().ToLookup(r => r.Cluster, r => r.Service, StringComparer.OrdinalIgnoreCase);
        var clusters = routing.Clusters.Values.OrderBy(c => c.Name, StringComparer.Ordinal).Select(cluster =>
        {
            var activator = EnvoyActivator(meshPorts[cluster.Service]);
            var assignment = (ClusterLoadAssignment)snapshot.LoadAssignments.Resources[cluster.Name].Message;
            var endpoints = assignment.Endpoints.SelectMany(l => l.LbEndpoints).Select(e => e.Endpoint.Address.SocketAddress)
                .Select(a => $"{a.Address}:{a.PortValue.ToString(CultureInfo.InvariantCulture)}")
                .Select(address => new EndpointView(address, address == activator ? EndpointView.Activator : EndpointView.Service))
                .ToArray();
            var state = host.Activator.Find(cluster.Service)?.State.ToString().ToLowerInvariant() ?? "unknown";
            return new ClusterView(cluster.Name, state, endpoints, [.. grpcByCluster[cluster.Name].Order(StringComparer.Ordinal)]);
        }).ToArray();

        return new RoutesView(
            host.Manifest.FilePath,
            host.Manifest.Mesh.HttpPort,
            host.Manifest.Mesh.XdsPort,
            routing.Version,
            [.. routing.Listeners.Select(l => new ListenerView(l.Name, l.Port, l.Service, l.Protocol.ToString().ToLowerInvariant()))],
            [.. routing.SharedRoutes.VirtualHosts.Select(h => new VirtualHostView(h.Name, [.. h.Domains.Where(d => d.Length > 0)], [.. h.Routes.Select(Describe)]))],
            clusters,
            new XdsView(
                XdsTypes.PushOrder.ToDictionary(XdsTypes.ShortName, t => snapshot.Get(t)!.VersionInfo),
                host.XdsClients.Connected,
                host.XdsClients.LastNacks));
    }

    private static string EnvoyActivator(int meshPort) => $"127.0.0.1:{meshPort.ToString(CultureInfo.InvariantCulture)}";

    private static RouteView Describe(RouteEntry route) =>
        new(route.Grpc ? route.PathPrefix + "/" : route.PathPrefix.Length == 0 ? "/" : route.PathPrefix, route.Grpc, route.Cluster);
}

/// <summary>A port the mesh listens on: the shared port (no service) or a service's mesh port.</summary>
public sealed record ListenerView(string Name, int Port, string? Service, string Protocol);

/// <summary>A virtual host of the shared port: requests whose Host is one of <see cref="Domains"/> use its routes.</summary>
public sealed record VirtualHostView(string Name, IReadOnlyList<string> Domains, IReadOnlyList<RouteView> Routes);

/// <summary>A path prefix (segment-aware) or a gRPC service (<c>/pkg.Service/</c>) and the cluster it goes to.</summary>
public sealed record RouteView(string Prefix, bool Grpc, string Cluster);

/// <summary>A service's cluster: its state and where its traffic goes (what xDS clients are told).</summary>
public sealed record ClusterView(string Name, string State, IReadOnlyList<EndpointView> Endpoints, IReadOnlyList<string> GrpcServices);

/// <summary>An endpoint: <see cref="Activator"/> (the service's mesh port, which launches it) or <see cref="Service"/> (the running service itself).</summary>
public sealed record EndpointView(string Address, string Kind)
{
    public const string Activator = "activator";
    public const string Service = "service";
}

/// <summary>The xDS side: the version of each resource type, the connected clients, the last NACK of each client and type.</summary>
public sealed record XdsView(IReadOnlyDictionary<string, string> Versions, IReadOnlyList<XdsClientInfo> Clients, IReadOnlyList<XdsNack> Nacks);
