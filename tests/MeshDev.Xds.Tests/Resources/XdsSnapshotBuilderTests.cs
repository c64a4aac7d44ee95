using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Upstreams.Http.V3;
using MeshDev.Routing;
using MeshDev.Runtime;
using MeshDev.Xds.Resources;
using MeshDev.Xds.Tests.Infrastructure;
using EnvoyRoutes = Envoy.Config.Route.V3;

namespace MeshDev.Xds.Tests.Resources;

/// <summary>What the snapshot of a manifest holds, resource by resource (the shapes Envoy and gRPC clients need).</summary>
public sealed class XdsSnapshotBuilderTests
{
    private readonly RoutingTable _routing = TestManifests.Routing();
    private readonly XdsSnapshotBuilder _builder;

    public XdsSnapshotBuilderTests()
    {
        _builder = new XdsSnapshotBuilder(_routing.Manifest);
    }

    [Fact]
    public void Every_http_service_has_a_listener_named_after_it_and_a_tcp_service_has_none()
    {
        var snapshot = _builder.Build(_routing.Current);

        Assert.Equal(["billing", "orders"], snapshot.Listeners.Resources.Keys);
        Assert.Empty(XdsSnapshotConsistency.Check(snapshot));
    }

    [Fact]
    public void A_listener_is_an_api_listener_whose_connection_manager_takes_routes_over_ads_with_the_router_last()
    {
        var listener = (Listener)_builder.Build(_routing.Current).Listeners.Resources["orders"].Message;

        Assert.Equal("orders", listener.Name);
        Assert.Equal("type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager", listener.ApiListener.ApiListener_.TypeUrl);
        var manager = listener.ApiListener.ApiListener_.Unpack<HttpConnectionManager>();
        Assert.False(string.IsNullOrEmpty(manager.StatPrefix));
        Assert.Equal(HttpConnectionManager.RouteSpecifierOneofCase.Rds, manager.RouteSpecifierCase);
        Assert.Equal("orders", manager.Rds.RouteConfigName);
        Assert.NotNull(manager.Rds.ConfigSource.Ads);
        Assert.Equal(ApiVersion.V3, manager.Rds.ConfigSource.ResourceApiVersion);
        var router = Assert.Single(manager.HttpFilters);
        Assert.Equal("envoy.filters.http.router", router.Name);
        Assert.Equal("type.googleapis.com/envoy.extensions.filters.http.router.v3.Router", router.TypedConfig.TypeUrl);
        Assert.True(router.TypedConfig.TryUnpack<Router>(out _));
    }

    [Fact]
    public void A_service_route_configuration_matches_its_names_and_sends_its_grpc_services_and_everything_else_to_it()
    {
        var routes = (EnvoyRoutes.RouteConfiguration)_builder.Build(_routing.Current).RouteConfigurations.Resources["orders"].Message;

        Assert.Equal("orders", routes.Name);
        Assert.True(routes.IgnorePortInHostMatching);
        var host = Assert.Single(routes.VirtualHosts);
        // "orders" is the authority of xds:///orders; the others are the service's names on the shared port.
        Assert.Equal(["orders", "orders.localhost", "orders-api"], host.Domains);
        Assert.Equal(
            ["/shop.orders.v1.Orders/ grpc -> orders", "/shop.orders.v1.Admin/ grpc -> orders", "/ -> orders"],
            host.Routes.Select(Describe));
    }

    [Fact]
    public void The_shared_route_configuration_routes_by_host_then_path_prefix_per_segment_and_grpc_service()
    {
        var routes = (EnvoyRoutes.RouteConfiguration)_builder.Build(_routing.Current).RouteConfigurations.Resources[XdsSnapshotBuilder.SharedRouteConfigurationName].Message;

        Assert.Equal(
            ["orders: orders orders.localhost orders-api", "billing: billing billing.localhost", "mesh: localhost 127.0.0.1 [::1]", "grpc: *"],
            routes.VirtualHosts.Select(h => $"{h.Name}: {string.Join(" ", h.Domains)}"));
        var mesh = routes.VirtualHosts.Single(h => h.Name == "mesh");
        Assert.Contains("=/orders -> orders", mesh.Routes.Select(Describe));
        Assert.Contains("/orders/ -> orders", mesh.Routes.Select(Describe));
        Assert.Contains("/shop.orders.v1.Orders/ grpc -> orders", mesh.Routes.Select(Describe));
        Assert.Contains("=/billing -> billing", mesh.Routes.Select(Describe));
        var grpc = routes.VirtualHosts.Single(h => h.Name == "grpc");
        Assert.Equal(["/shop.orders.v1.Orders/ grpc -> orders", "/shop.orders.v1.Admin/ grpc -> orders"], grpc.Routes.Select(Describe));
        Assert.All(routes.VirtualHosts.SelectMany(h => h.Routes), r => Assert.Equal(TimeSpan.Zero, r.Route_.Timeout.ToTimeSpan()));
    }

    [Fact]
    public void Every_service_has_an_eds_cluster_over_ads_with_a_connect_timeout_and_round_robin()
    {
        var snapshot = _builder.Build(_routing.Current);

        Assert.Equal(["billing", "cache", "orders"], snapshot.Clusters.Resources.Keys);
        foreach (var (name, resource) in snapshot.Clusters.Resources)
        {
            var cluster = (Cluster)resource.Message;
            Assert.Equal(name, cluster.Name);
            Assert.Equal(Cluster.Types.DiscoveryType.Eds, cluster.Type);
            Assert.NotNull(cluster.EdsClusterConfig.EdsConfig.Ads);
            Assert.Equal(ApiVersion.V3, cluster.EdsClusterConfig.EdsConfig.ResourceApiVersion);
            Assert.Equal(name, cluster.EdsClusterConfig.ServiceName);
            Assert.True(cluster.ConnectTimeout.ToTimeSpan() > TimeSpan.Zero);
            Assert.Equal(Cluster.Types.LbPolicy.RoundRobin, cluster.LbPolicy);
        }
    }

    [Fact]
    public void Only_grpc_services_are_spoken_to_in_http2()
    {
        var clusters = _builder.Build(_routing.Current).Clusters.Resources;

        var orders = ((Cluster)clusters["orders"].Message).TypedExtensionProtocolOptions["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"].Unpack<HttpProtocolOptions>();
        Assert.NotNull(orders.ExplicitHttpConfig.Http2ProtocolOptions);
        Assert.Empty(((Cluster)clusters["billing"].Message).TypedExtensionProtocolOptions);
    }

    [Fact]
    public void A_stopped_service_is_reached_through_the_activator_at_its_mesh_port()
    {
        var snapshot = _builder.Build(_routing.Current);

        Assert.Equal(["billing", "cache", "orders"], snapshot.LoadAssignments.Resources.Keys);
        Assert.Equal(["127.0.0.1:15101"], Endpoints(snapshot, "orders"));
        Assert.Equal(["127.0.0.1:15103"], Endpoints(snapshot, "cache"));
        var assignment = (ClusterLoadAssignment)snapshot.LoadAssignments.Resources["orders"].Message;
        var locality = Assert.Single(assignment.Endpoints);
        Assert.False(string.IsNullOrEmpty(locality.Locality.Region));
        Assert.True(locality.LoadBalancingWeight >= 1);
        var endpoint = Assert.Single(locality.LbEndpoints);
        Assert.True(endpoint.LoadBalancingWeight >= 1);
        Assert.Equal(HealthStatus.Healthy, endpoint.HealthStatus);
    }

    [Fact]
    public void A_ready_service_is_reached_directly_and_goes_back_to_the_activator_when_it_stops()
    {
        var first = _builder.Build(_routing.Current);

        _routing.SetEndpoints("orders", [new ServiceEndpoint("127.0.0.1", 40123)]);
        var ready = _builder.Build(_routing.Current, first);
        _routing.SetEndpoints("orders", []);
        var stopped = _builder.Build(_routing.Current, ready);

        Assert.Equal(["127.0.0.1:40123"], Endpoints(ready, "orders"));
        Assert.Equal(["127.0.0.1:15101"], Endpoints(stopped, "orders"));
        Assert.Equal([1L, 2L, 3L], new[] { first, ready, stopped }.Select(s => s.LoadAssignments.Version));
    }

    [Fact]
    public void An_endpoint_without_an_ip_address_stays_behind_the_activator()
    {
        _routing.SetEndpoints("billing", [new ServiceEndpoint("billing.internal", 9000)]);

        Assert.Equal(["127.0.0.1:15102"], Endpoints(_builder.Build(_routing.Current), "billing"));
    }

    [Fact]
    public void An_endpoint_change_bumps_only_the_endpoint_version_and_rebuilds_only_that_cluster()
    {
        var first = _builder.Build(_routing.Current);

        _routing.SetEndpoints("billing", [new ServiceEndpoint("127.0.0.1", 40200)]);
        var next = _builder.Build(_routing.Current, first);

        Assert.Same(first.Listeners, next.Listeners);
        Assert.Same(first.RouteConfigurations, next.RouteConfigurations);
        Assert.Same(first.Clusters, next.Clusters);
        Assert.Equal(first.LoadAssignments.Version + 1, next.LoadAssignments.Version);
        Assert.Same(first.LoadAssignments.Resources["orders"], next.LoadAssignments.Resources["orders"]);
        Assert.NotSame(first.LoadAssignments.Resources["billing"], next.LoadAssignments.Resources["billing"]);
    }

    [Fact]
    public void A_rebuild_with_the_same_content_keeps_every_version()
    {
        var first = _builder.Build(_routing.Current);

        // Another routing table of the same manifest: new objects, same resources.
        var again = _builder.Build(new RoutingTable(_routing.Manifest).Current with { Version = 2 }, first);

        Assert.Equal(
            new[] { first.Listeners, first.RouteConfigurations, first.Clusters, first.LoadAssignments }.Select(s => s.Version),
            new[] { again.Listeners, again.RouteConfigurations, again.Clusters, again.LoadAssignments }.Select(s => s.Version));
    }

    internal static string[] Endpoints(XdsSnapshot snapshot, string cluster) =>
        [.. ((ClusterLoadAssignment)snapshot.LoadAssignments.Resources[cluster].Message).Endpoints
            .SelectMany(l => l.LbEndpoints)
            .Select(e => $"{e.Endpoint.Address.SocketAddress.Address}:{e.Endpoint.Address.SocketAddress.PortValue}")];

    private static string Describe(EnvoyRoutes.Route route) =>
        (route.Match.PathSpecifierCase == EnvoyRoutes.RouteMatch.PathSpecifierOneofCase.Path ? "=" + route.Match.Path : route.Match.Prefix)
        + (route.Match.Grpc is null ? "" : " grpc")
        + " -> " + route.Route_.Cluster;
}
