using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using MeshDev.Xds.Resources;
using MeshDev.Xds.Server;
using MeshDev.Xds.Tests.Infrastructure;

namespace MeshDev.Xds.Tests.Resources;

/// <summary>Build, check, publish: a snapshot that does not hold together is never served.</summary>
public sealed class XdsSnapshotConsistencyTests
{
    private readonly XdsSnapshot _good;

    public XdsSnapshotConsistencyTests()
    {
        var routing = TestManifests.Routing();
        _good = new XdsSnapshotBuilder(routing.Manifest).Build(routing.Current);
    }

    [Fact]
    public void A_listener_whose_route_configuration_is_missing_is_reported_and_not_published()
    {
        var dangling = new Listener
        {
            Name = "ghost",
            ApiListener = new ApiListener
            {
                ApiListener_ = Any.Pack(new HttpConnectionManager
                {
                    StatPrefix = "ghost",
                    Rds = new Rds { RouteConfigName = "ghost", ConfigSource = new Envoy.Config.Core.V3.ConfigSource { Ads = new() } },
                    HttpFilters = { new HttpFilter { Name = "envoy.filters.http.router", TypedConfig = Any.Pack(new Envoy.Extensions.Filters.Http.Router.V3.Router()) } },
                }),
            },
        };
        var broken = new XdsSnapshot(_good.Routing, _good.Listeners.Next(_good.Listeners.Resources.Add("ghost", new XdsResource("ghost", dangling))),
            _good.RouteConfigurations, _good.Clusters, _good.LoadAssignments);
        var cache = new XdsSnapshotCache(_good);

        Assert.False(cache.TryPublish(broken, out var problems));

        Assert.Equal(["listener 'ghost' uses route configuration 'ghost', which does not exist"], problems);
        Assert.Same(_good, cache.Current);
    }

    [Fact]
    public void A_cluster_without_endpoints_is_reported()
    {
        var empty = new ClusterLoadAssignment { ClusterName = "orders" };
        var broken = new XdsSnapshot(_good.Routing, _good.Listeners, _good.RouteConfigurations, _good.Clusters,
            _good.LoadAssignments.Next(_good.LoadAssignments.Resources.SetItem("orders", new XdsResource("orders", empty))));

        Assert.Equal(["ClusterLoadAssignment 'orders' has no endpoint (a stopped service's is the activator)"], XdsSnapshotConsistency.Check(broken));
        // Publishing checks only what changed since the served snapshot, and still sees it.
        Assert.Equal(["ClusterLoadAssignment 'orders' has no endpoint (a stopped service's is the activator)"], XdsSnapshotConsistency.Check(broken, checkedBefore: _good));
        Assert.False(new XdsSnapshotCache(_good).TryPublish(broken, out _));
    }
}
