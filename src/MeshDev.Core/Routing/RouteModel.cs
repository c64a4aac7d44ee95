using System.Collections.Immutable;
using MeshDev.Runtime;

namespace MeshDev.Routing;

// The routing table is shaped like Envoy's resources (listeners → route configuration → virtual hosts → routes →
// clusters → endpoints) so the same snapshot can feed YARP here and be served over xDS.

/// <summary>One consistent version of the routing table.</summary>
public sealed record RoutingSnapshot(
    long Version,
    ImmutableArray<MeshListener> Listeners,
    RouteConfiguration SharedRoutes,
    ImmutableDictionary<string, MeshCluster> Clusters);

/// <summary>A port the mesh listens on: the shared port (<see cref="Service"/> null) or a service's own mesh port.</summary>
public sealed record MeshListener(string Name, int Port, string? Service, MeshDev.Catalog.ServiceProtocol Protocol = MeshDev.Catalog.ServiceProtocol.Http);

/// <summary>The route configuration of the shared port: virtual hosts matched by Host, then routes by path prefix.</summary>
public sealed record RouteConfiguration(string Name, ImmutableArray<VirtualHost> VirtualHosts);

/// <summary>Requests whose Host (port ignored) is one of <see cref="Domains"/> use these routes.</summary>
public sealed record VirtualHost(string Name, ImmutableArray<string> Domains, ImmutableArray<RouteEntry> Routes);

/// <summary>
/// A path prefix (segment-aware: <c>/orders</c> matches <c>/orders/1</c>, not <c>/orders2</c>) and its cluster;
/// <see cref="Grpc"/> marks the route of a gRPC service (<c>/shop.orders.v1.Orders</c>), as Envoy's <c>grpc: {}</c> match does.
/// </summary>
public sealed record RouteEntry(string PathPrefix, string Cluster, bool Grpc = false);

/// <summary>
/// A service's upstream. While the service is not running <see cref="Endpoints"/> is empty and traffic goes to the
/// activator, which launches it; the route itself never disappears.
/// </summary>
public sealed record MeshCluster(string Name, string Service, ImmutableArray<ServiceEndpoint> Endpoints);
