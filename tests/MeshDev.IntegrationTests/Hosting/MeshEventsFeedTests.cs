using MeshDev.Activation;
using MeshDev.Daemon.Hosting;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.Hosting;

/// <summary>
/// The feed from the activators to the watchers, on a real activator launching a real process: every state change
/// goes to <see cref="MeshEvents"/> and to the host's callback, in order, while the feed is started.
/// </summary>
public sealed class MeshEventsFeedTests : IAsyncLifetime
{
    private readonly OneServiceActivator _mesh = OneServiceActivator.Create();
    private readonly MeshEvents _events = new(TimeProvider.System);
    private readonly List<ServiceStateChange> _handed = [];
    private readonly MeshEventsFeed _feed;

    public MeshEventsFeedTests()
    {
        _feed = new MeshEventsFeed(_mesh.Activator, _events, change =>
        {
            lock (_handed)
            {
                _handed.Add(change);
            }
        });
    }

    [Fact]
    public async Task A_launch_and_a_stop_are_published_and_handed_on_in_order()
    {
        await _feed.StartAsync(CancellationToken.None);

        await _mesh.DeliveredAsync(ServiceState.Ready, () => _mesh.Service.StartAsync());
        await _mesh.DeliveredAsync(ServiceState.Stopped, () => _mesh.Service.StopAsync("stopped by the test"));

        ServiceState[] expected = [ServiceState.Starting, ServiceState.Ready, ServiceState.Stopping, ServiceState.Stopped];
        Assert.Equal(expected, _events.History().Select(e => e.Change.To));
        Assert.Equal([1L, 2L, 3L, 4L], _events.History().Select(e => e.Sequence));
        lock (_handed)
        {
            Assert.Equal(_events.History().Select(e => e.Change), _handed);
        }
    }

    [Fact]
    public async Task A_stopped_feed_publishes_nothing()
    {
        await _feed.StartAsync(CancellationToken.None);
        await _feed.StopAsync(CancellationToken.None);

        await _mesh.DeliveredAsync(ServiceState.Ready, () => _mesh.Service.StartAsync());

        Assert.Empty(_events.History());
        lock (_handed)
        {
            Assert.Empty(_handed);
        }
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await _feed.StopAsync(CancellationToken.None);
        await _mesh.DisposeAsync();
    }
}
