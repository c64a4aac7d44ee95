using MeshDev.Activation;
using MeshDev.Daemon.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace MeshDev.IntegrationTests;

/// <summary>The daemon's event feed: history first, then live events, in order, each once.</summary>
public sealed class MeshEventsTests
{
    private static ServiceStateChange Change(string service, ServiceState to) => new(service, ServiceState.Stopped, to, to.ToString());

    [Fact]
    public async Task A_watcher_gets_the_history_then_live_events_in_order_each_once()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));
        var events = new MeshEvents(time);
        events.Publish(Change("orders", ServiceState.Starting));
        events.Publish(Change("orders", ServiceState.Ready));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<MeshEvent>();

        await using var watch = events.WatchAsync(cancellationToken: stop.Token).GetAsyncEnumerator(stop.Token);
        for (var i = 0; i < 2; i++)
        {
            Assert.True(await watch.MoveNextAsync());
            seen.Add(watch.Current);
        }

        time.Advance(TimeSpan.FromSeconds(1));
        events.Publish(Change("billing", ServiceState.Failed));
        Assert.True(await watch.MoveNextAsync());
        seen.Add(watch.Current);

        Assert.Equal([1L, 2L, 3L], seen.Select(e => e.Sequence));
        Assert.Equal(["orders", "orders", "billing"], seen.Select(e => e.Change.Service));
        Assert.Equal(time.GetUtcNow(), seen[2].At);
    }

    [Fact]
    public async Task A_watcher_can_resume_after_the_last_event_it_saw_or_skip_the_history()
    {
        var events = new MeshEvents(TimeProvider.System);
        for (var i = 0; i < 5; i++)
        {
            events.Publish(Change($"s{i}", ServiceState.Ready));
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var resumed = events.WatchAsync(afterSequence: 3, stop.Token).GetAsyncEnumerator(stop.Token);
        Assert.True(await resumed.MoveNextAsync());
        Assert.Equal(4, resumed.Current.Sequence);

        await using var live = events.WatchAsync(afterSequence: -1, stop.Token).GetAsyncEnumerator(stop.Token);
        var next = live.MoveNextAsync();
        Assert.False(next.IsCompleted);
        events.Publish(Change("late", ServiceState.Ready));
        Assert.True(await next);
        Assert.Equal("late", live.Current.Change.Service);
        Assert.Equal(6, events.History().Count);
    }
}
