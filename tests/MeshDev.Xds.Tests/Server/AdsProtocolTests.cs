using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using MeshDev.Runtime;
using MeshDev.Xds.Resources;
using MeshDev.Xds.Tests.Infrastructure;
using EnvoyRoutes = Envoy.Config.Route.V3;

namespace MeshDev.Xds.Tests.Server;

/// <summary>
/// The state-of-the-world ADS protocol against the real server over a real HTTP/2 connection (Grpc.Net.Client).
/// Responses on a stream are ordered, so "the next response is X" also proves that nothing was sent before it.
/// </summary>
public sealed class AdsProtocolTests : IAsyncLifetime
{
    private AdsServer _server = null!;

    public async Task InitializeAsync() => _server = await AdsServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_first_request_gets_every_listener_with_the_type_version_and_a_nonce()
    {
        await using var client = _server.Connect();

        await client.SubscribeAsync(XdsTypes.Listener);
        var response = await client.ReceiveAsync(XdsTypes.Listener);

        Assert.Equal("1", response.VersionInfo);
        Assert.False(string.IsNullOrEmpty(response.Nonce));
        Assert.Equal("meshdev", response.ControlPlane.Identifier);
        Assert.Equal(["billing", "orders"], AdsClient.Unpack<Listener>(response).Select(l => l.Name));
    }

    [Fact]
    public async Task A_named_subscription_gets_exactly_the_names_asked_for_that_exist()
    {
        await using var client = _server.Connect();

        await client.SubscribeAsync(XdsTypes.Cluster, "orders", "nope");
        var clusters = await client.ReceiveAsync(XdsTypes.Cluster);
        await client.SubscribeAsync(XdsTypes.ClusterLoadAssignment, "cache");
        var endpoints = await client.ReceiveAsync(XdsTypes.ClusterLoadAssignment);
        await client.SubscribeAsync(XdsTypes.RouteConfiguration, "billing");
        var routes = await client.ReceiveAsync(XdsTypes.RouteConfiguration);

        Assert.Equal(["orders"], AdsClient.Unpack<Cluster>(clusters).Select(c => c.Name));
        Assert.Equal(["cache"], AdsClient.Unpack<ClusterLoadAssignment>(endpoints).Select(c => c.ClusterName));
        Assert.Equal(["billing"], AdsClient.Unpack<EnvoyRoutes.RouteConfiguration>(routes).Select(c => c.Name));
    }

    [Fact]
    public async Task An_empty_subscription_means_every_cluster_but_no_endpoints()
    {
        await using var client = _server.Connect();

        await client.SubscribeAsync(XdsTypes.Cluster);
        var clusters = await client.ReceiveAsync(XdsTypes.Cluster);
        await client.SubscribeAsync(XdsTypes.ClusterLoadAssignment);
        var endpoints = await client.ReceiveAsync(XdsTypes.ClusterLoadAssignment);

        Assert.Equal(["billing", "cache", "orders"], AdsClient.Unpack<Cluster>(clusters).Select(c => c.Name));
        Assert.Empty(endpoints.Resources);
    }

    [Fact]
    public async Task An_ack_is_recorded_and_the_next_response_is_the_next_change()
    {
        await using var client = _server.Connect("acker");
        await client.SubscribeAsync(XdsTypes.ClusterLoadAssignment, "orders");
        var first = await client.ReceiveAsync(XdsTypes.ClusterLoadAssignment);

        await client.AckAsync(first, "orders");
        await client.SyncAsync();
        _server.Routing.SetEndpoints("orders", [new ServiceEndpoint("127.0.0.1", 40100)]);
        var update = await client.ReceiveAsync(XdsTypes.ClusterLoadAssignment);

        Assert.Equal(["127.0.0.1:40100"], Endpoints(update));
        Assert.NotEqual(first.Nonce, update.Nonce);
        Assert.True(long.Parse(update.VersionInfo) > long.Parse(first.VersionInfo));
        var subscription = Assert.Single(_server.Clients.Connected).Subscriptions.Single(s => s.Type == "EDS");
        Assert.Equal(first.VersionInfo, subscription.AcceptedVersion);
        Assert.Null(subscription.LastNack);
    }

    [Fact]
    public async Task An_endpoint_goes_from_the_activator_to_the_ready_service_and_back()
    {
        await using var client = _server.Connect();
        await client.SubscribeAsync(XdsTypes.ClusterLoadAssignment, "billing");
        var stopped = await client.ReceiveAsync(XdsTypes.ClusterLoadAssignment);
        await client.AckAsync(stopped, "billing");

        _server.Routing.SetEndpoints("billing", [new ServiceEndpoint("127.0.0.1", 40101)]);
        var ready = await client.ReceiveAsync(XdsTypes.ClusterLoadAssignment);
        await client.AckAsync(ready, "billing");
        _server.Routing.SetEndpoints("billing", []);
        var stoppedAgain = await client.ReceiveAsync(XdsTypes.ClusterLoadAssignment);

        Assert.Equal(["127.0.0.1:15102"], Endpoints(stopped));
        Assert.Equal(["127.0.0.1:40101"], Endpoints(ready));
        Assert.Equal(["127.0.0.1:15102"], Endpoints(stoppedAgain));
        Assert.Equal(new[] { 1L, 2L, 3L }, new[] { stopped, ready, stoppedAgain }.Select(r => long.Parse(r.VersionInfo)));
    }

    [Fact]
    public async Task A_change_to_a_cluster_the_client_did_not_subscribe_to_is_not_pushed()
    {
        await using var client = _server.Connect();
        await client.SubscribeAsync(XdsTypes.ClusterLoadAssignment, "orders");
        await client.AckAsync(await client.ReceiveAsync(XdsTypes.ClusterLoadAssignment), "orders");

        _server.Routing.SetEndpoints("billing", [new ServiceEndpoint("127.0.0.1", 40102)]);
        _server.Routing.SetEndpoints("orders", [new ServiceEndpoint("127.0.0.1", 40103)]);
        var next = await client.ReceiveAsync(XdsTypes.ClusterLoadAssignment);

        // The first push this client sees is the orders change: billing's went by without a response.
        Assert.Equal(["127.0.0.1:40103"], Endpoints(next));
        Assert.Equal(["orders"], AdsClient.Unpack<ClusterLoadAssignment>(next).Select(a => a.ClusterName));
    }

    [Fact]
    public async Task A_nack_is_recorded_and_the_rejected_version_is_not_sent_again()
    {
        await using var client = _server.Connect("nacker");
        await client.SubscribeAsync(XdsTypes.ClusterLoadAssignment, "orders");
        var first = await client.ReceiveAsync(XdsTypes.ClusterLoadAssignment);
        await client.AckAsync(first, "orders");
        await client.SyncAsync();
        _server.Routing.SetEndpoints("orders", [new ServiceEndpoint("127.0.0.1", 40104)]);
        var rejected = await client.ReceiveAsync(XdsTypes.ClusterLoadAssignment);

        await client.NackAsync(rejected, acceptedVersion: first.VersionInfo, "endpoint 127.0.0.1:40104 is not allowed here", "orders");
        // Anything the server sent in answer to the NACK would arrive before the answer to this request.
        await client.SubscribeAsync(XdsTypes.Cluster, "orders");
        var next = await client.ReceiveAsync(XdsTypes.Cluster);

        Assert.Equal(["orders"], AdsClient.Unpack<Cluster>(next).Select(c => c.Name));
        var nack = Assert.Single(_server.Clients.LastNacks);
        Assert.Equal(("nacker", "EDS", rejected.VersionInfo, rejected.Nonce), (nack.NodeId, nack.Type, nack.Version, nack.Nonce));
        Assert.Equal("endpoint 127.0.0.1:40104 is not allowed here", nack.Message);
        var endpoints = Assert.Single(_server.Clients.Connected).Subscriptions.Single(s => s.Type == "EDS");
        Assert.Equal(first.VersionInfo, endpoints.AcceptedVersion);
        Assert.Equal(nack, endpoints.LastNack);

        // The next change does go out, with a new version.
        _server.Routing.SetEndpoints("orders", [new ServiceEndpoint("127.0.0.1", 40105)]);
        var fixedUpdate = await client.ReceiveAsync(XdsTypes.ClusterLoadAssignment);
        Assert.Equal(["127.0.0.1:40105"], Endpoints(fixedUpdate));
        Assert.True(long.Parse(fixedUpdate.VersionInfo) > long.Parse(rejected.VersionInfo));
    }

    [Fact]
    public async Task A_request_with_a_stale_nonce_is_ignored()
    {
        await using var client = _server.Connect();
        await client.SubscribeAsync(XdsTypes.Cluster, "orders");
        var first = await client.ReceiveAsync(XdsTypes.Cluster);

        // Answers a nonce that is not the latest one: even its new subscription (billing) is ignored.
        await client.SendAsync(new() { TypeUrl = XdsTypes.Cluster, VersionInfo = first.VersionInfo, ResponseNonce = "not-" + first.Nonce, ResourceNames = { "orders", "billing" } });
        await client.SubscribeAsync(XdsTypes.Listener, "orders");
        var next = await client.ReceiveAsync(XdsTypes.Listener);
        await client.AckAsync(first, "orders", "billing");
        var clusters = await client.ReceiveAsync(XdsTypes.Cluster);

        Assert.Equal(["orders"], AdsClient.Unpack<Listener>(next).Select(l => l.Name));
        Assert.Equal(["billing", "orders"], AdsClient.Unpack<Cluster>(clusters).Select(c => c.Name));
    }

    [Fact]
    public async Task Changes_to_several_types_are_pushed_clusters_then_endpoints_then_listeners_then_routes()
    {
        await using var client = _server.Connect();
        string[] names = ["orders", "payments"];
        foreach (var type in new[] { XdsTypes.Listener, XdsTypes.RouteConfiguration, XdsTypes.Cluster, XdsTypes.ClusterLoadAssignment })
        {
            await client.SubscribeAsync(type, names);
            await client.AckAsync(await client.ReceiveAsync(type), names);
        }

        // A new service (payments) adds a listener, a route configuration, a cluster and its endpoints at once.
        var manifest = TestManifests.Parse(TestManifests.ShopWithPayments);
        var next = new XdsSnapshotBuilder(manifest).Build(new MeshDev.Routing.RoutingTable(manifest).Current with { Version = 100 }, _server.Snapshots.Current);
        Assert.True(_server.Snapshots.TryPublish(next, out var problems), string.Join("; ", problems));
        var pushed = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var response = await client.ReceiveAsync();
            pushed.Add(XdsTypes.ShortName(response.TypeUrl));
            Assert.Contains(response.Resources, r => r.TypeUrl == response.TypeUrl);
            Assert.Equal(2, response.Resources.Count);
        }

        Assert.Equal(["CDS", "EDS", "LDS", "RDS"], pushed);
    }

    [Fact]
    public async Task Every_connected_client_is_listed_with_its_node_and_subscriptions()
    {
        await using var envoy = _server.Connect("envoy-1");
        await envoy.SubscribeAsync(XdsTypes.Cluster);
        await envoy.AckAsync(await envoy.ReceiveAsync(XdsTypes.Cluster));
        await envoy.SubscribeAsync(XdsTypes.Listener);
        await envoy.ReceiveAsync(XdsTypes.Listener);

        var info = Assert.Single(_server.Clients.Connected);

        Assert.Equal(("envoy-1", "tests", "MeshDev.Xds.Tests 1"), (info.NodeId, info.NodeCluster, info.UserAgent));
        Assert.Equal(["CDS", "LDS"], info.Subscriptions.Select(s => s.Type));
        Assert.All(info.Subscriptions, s => Assert.True(s.Wildcard));
        Assert.Equal(["1", null], info.Subscriptions.Select(s => s.AcceptedVersion));
        Assert.Equal("orders", Assert.IsType<Cluster>(_server.Clients.Accepted("envoy-1", XdsTypes.Cluster, "orders")).Name);
        Assert.Null(_server.Clients.Accepted("envoy-1", XdsTypes.Listener, "orders")); // sent, not ACKed yet
    }

    [Fact]
    public async Task Stopping_the_server_ends_the_open_streams()
    {
        await using var client = _server.Connect();
        await client.SubscribeAsync(XdsTypes.Cluster);
        await client.ReceiveAsync(XdsTypes.Cluster);

        // Streams never end by themselves; the server has no shutdown grace period here, so a stream left open hangs.
        await _server.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Empty(_server.Clients.Connected);
    }

    private static string[] Endpoints(Envoy.Service.Discovery.V3.DiscoveryResponse response) =>
        [.. AdsClient.Unpack<ClusterLoadAssignment>(response).SelectMany(a => a.Endpoints).SelectMany(l => l.LbEndpoints)
            .Select(e => $"{e.Endpoint.Address.SocketAddress.Address}:{e.Endpoint.Address.SocketAddress.PortValue}")];
}
