using MeshDev.Routing;
using MeshDev.Runtime;
using MeshDev.Xds.Resources;
using MeshDev.Xds.Server;
using MeshDev.Xds.Tests.Infrastructure;
using MeshDev.Xds.Tests.Resources;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshDev.Xds.Tests.Server;

/// <summary>
/// The feed from the routing table to the xDS snapshot cache, on a real table, builder and cache: a change of the
/// table is published (synchronously, on the changing thread) while the feed is started, and only then.
/// </summary>
public sealed class XdsRoutingFeedTests
{
    private readonly RoutingTable _routing = TestManifests.Routing();
    private readonly XdsSnapshotCache _cache;
    private readonly XdsRoutingFeed _feed;

    public XdsRoutingFeedTests()
    {
        var builder = new XdsSnapshotBuilder(_routing.Manifest);
        _cache = new XdsSnapshotCache(builder.Build(_routing.Current));
        _feed = new XdsRoutingFeed(_routing, builder, _cache, NullLogger<XdsRoutingFeed>.Instance);
    }

    [Fact]
    public async Task An_endpoint_change_publishes_a_snapshot_of_the_new_routing_version_with_only_the_endpoint_version_bumped()
    {
        var first = _cache.Current;
        await _feed.StartAsync(CancellationToken.None);

        _routing.SetEndpoints("orders", [new ServiceEndpoint("127.0.0.1", 40123)]);

        var next = _cache.Current;
        Assert.Equal(_routing.Current.Version, next.Routing.Version);
        Assert.Equal(first.Routing.Version + 1, next.Routing.Version);
        Assert.Equal(["127.0.0.1:40123"], XdsSnapshotBuilderTests.Endpoints(next, "orders"));
        Assert.Equal(first.LoadAssignments.Version + 1, next.LoadAssignments.Version);
        Assert.Equal(
            new[] { first.Listeners.Version, first.RouteConfigurations.Version, first.Clusters.Version },
            new[] { next.Listeners.Version, next.RouteConfigurations.Version, next.Clusters.Version });
    }

    [Fact]
    public async Task A_service_that_stops_goes_back_to_the_activator_in_the_next_snapshot()
    {
        await _feed.StartAsync(CancellationToken.None);

        _routing.SetEndpoints("billing", [new ServiceEndpoint("127.0.0.1", 40200)]);
        var ready = _cache.Current;
        _routing.SetEndpoints("billing", []);
        var stopped = _cache.Current;

        Assert.Equal(["127.0.0.1:40200"], XdsSnapshotBuilderTests.Endpoints(ready, "billing"));
        Assert.Equal(["127.0.0.1:15102"], XdsSnapshotBuilderTests.Endpoints(stopped, "billing"));
        Assert.Equal(ready.LoadAssignments.Version + 1, stopped.LoadAssignments.Version);
    }

    [Fact]
    public async Task A_change_made_before_the_feed_started_is_published_when_it_starts()
    {
        var published = new List<XdsSnapshot>();
        _cache.Published += published.Add;
        _routing.SetEndpoints("orders", [new ServiceEndpoint("127.0.0.1", 40123)]);
        Assert.Empty(published);

        await _feed.StartAsync(CancellationToken.None);

        var snapshot = Assert.Single(published);
        Assert.Same(snapshot, _cache.Current);
        Assert.Equal(_routing.Current.Version, snapshot.Routing.Version);
        Assert.Equal(["127.0.0.1:40123"], XdsSnapshotBuilderTests.Endpoints(snapshot, "orders"));
    }

    [Fact]
    public async Task Starting_with_nothing_changed_publishes_nothing()
    {
        var published = new List<XdsSnapshot>();
        _cache.Published += published.Add;

        await _feed.StartAsync(CancellationToken.None);

        Assert.Empty(published);
        Assert.Equal(_routing.Current.Version, _cache.Current.Routing.Version);
    }

    [Fact]
    public async Task A_stopped_feed_publishes_no_more_changes()
    {
        await _feed.StartAsync(CancellationToken.None);
        await _feed.StopAsync(CancellationToken.None);
        var before = _cache.Current;

        _routing.SetEndpoints("orders", [new ServiceEndpoint("127.0.0.1", 40123)]);

        Assert.Same(before, _cache.Current);
        Assert.Equal(["127.0.0.1:15101"], XdsSnapshotBuilderTests.Endpoints(_cache.Current, "orders"));
    }
}
