using MeshDev.Activation;
using MeshDev.Daemon.Hosting;
using MeshDev.Runtime;

namespace MeshDev.IntegrationTests.Hosting;

/// <summary>
/// The feed from the activators to the routing table, on a real activator launching a real process and a real routing
/// table: the service's cluster points at the instance while it runs and at the activator otherwise, while the feed is
/// started, and only then.
/// </summary>
public sealed class ActivatorRoutingFeedTests : IAsyncLifetime
{
    private readonly OneServiceActivator _mesh = OneServiceActivator.Create();
    private readonly ActivatorRoutingFeed _feed;

    public ActivatorRoutingFeedTests()
    {
        _feed = new ActivatorRoutingFeed(_mesh.Activator, _mesh.Routing);
    }

    [Fact]
    public async Task A_ready_service_is_routed_to_its_instance_and_a_stopped_one_back_to_the_activator()
    {
        await _feed.StartAsync(CancellationToken.None);
        var initial = _mesh.Routing.Current.Version;

        ServiceEndpoint instance;
        using (var lease = await _mesh.Service.AcquireAsync())
        {
            instance = lease.Endpoint;
        }

        var ready = await _mesh.RoutingWhereAsync(r => r.Clusters[OneServiceActivator.Name].Endpoints.Length > 0);
        Assert.Equal(instance, Assert.Single(ready.Clusters[OneServiceActivator.Name].Endpoints));
        await _mesh.Service.StopAsync("stopped by the test");
        var stopped = await _mesh.RoutingWhereAsync(r => r.Version > ready.Version && r.Clusters[OneServiceActivator.Name].Endpoints.IsEmpty);

        Assert.Empty(stopped.Clusters[OneServiceActivator.Name].Endpoints);
        Assert.Equal(ServiceState.Stopped, _mesh.Service.State);
        Assert.True(ready.Version > initial);
    }

    [Fact]
    public async Task A_service_that_became_ready_before_the_feed_started_is_routed_to_its_instance_at_start()
    {
        await _mesh.DeliveredAsync(ServiceState.Ready, () => _mesh.Service.StartAsync());
        var instance = _mesh.Service.Endpoint ?? throw new InvalidOperationException("a ready service has an endpoint");
        Assert.Empty(_mesh.RoutedEndpoints);

        await _feed.StartAsync(CancellationToken.None);

        Assert.Equal([instance], _mesh.RoutedEndpoints);
    }

    [Fact]
    public async Task Starting_with_every_service_stopped_changes_nothing()
    {
        var before = _mesh.Routing.Current;

        await _feed.StartAsync(CancellationToken.None);

        Assert.Same(before, _mesh.Routing.Current);
    }

    [Fact]
    public async Task A_stopped_feed_leaves_the_routing_table_alone()
    {
        await _feed.StartAsync(CancellationToken.None);
        await _feed.StopAsync(CancellationToken.None);
        var before = _mesh.Routing.Current;

        // Delivered to every observer, in order: the feed would have run before this test's own observer.
        await _mesh.DeliveredAsync(ServiceState.Ready, () => _mesh.Service.StartAsync());

        Assert.NotNull(_mesh.Service.Endpoint);
        Assert.Same(before, _mesh.Routing.Current);
        Assert.Empty(_mesh.RoutedEndpoints);
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await _feed.StopAsync(CancellationToken.None);
        await _mesh.DisposeAsync();
    }
}
