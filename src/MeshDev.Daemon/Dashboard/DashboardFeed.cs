using System.Runtime.CompilerServices;
using System.Threading.Channels;
using MeshDev.Calls;
using MeshDev.Daemon.Hosting;

namespace MeshDev.Daemon.Dashboard;

/// <summary>
/// What one open dashboard is sent: a snapshot at once, then a new one after every change — service state changes
/// (<see cref="MeshEvents"/>) and calls (<see cref="CallGraph"/>) — at most <see cref="MaxPerSecond"/> a second however
/// busy the mesh is, and a heartbeat (null) when nothing changed for a while, so a closed page is noticed.
/// </summary>
internal static class DashboardFeed
{
    public const int MaxPerSecond = 4;
    public static readonly TimeSpan Throttle = TimeSpan.FromSeconds(1.0 / MaxPerSecond);
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static async IAsyncEnumerable<DashboardSnapshot?> WatchAsync(MeshHost host, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var time = host.CallGraph.Time;
        // One pending "something changed" at most: changes that come while a snapshot is due are in that snapshot.
        var changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watchers = Task.WhenAll(
            WatchStatesAsync(host.Events, changed.Writer, stop.Token),
            WatchCallsAsync(host.CallGraph, changed.Writer, time, stop.Token));
        try
        {
            yield return DashboardSnapshot.Of(host);
            var sent = time.GetTimestamp();
            while (true)
            {
                if (!await WaitAsync(changed.Reader, time, cancellationToken).ConfigureAwait(false))
                {
                    yield return null;
                    continue;
                }

                var since = time.GetElapsedTime(sent);
                if (since < Throttle)
                {
                    await Task.Delay(Throttle - since, time, cancellationToken).ConfigureAwait(false);
                }

                changed.Reader.TryRead(out _);
                yield return DashboardSnapshot.Of(host);
                sent = time.GetTimestamp();
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await watchers.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>True once something changed; false after <see cref="Heartbeat"/> without a change.</summary>
    private static async Task<bool> WaitAsync(ChannelReader<bool> changed, TimeProvider time, CancellationToken cancellationToken)
    {
        using var quiet = new CancellationTokenSource(Heartbeat, time);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, quiet.Token);
        try
        {
            return await changed.WaitToReadAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static async Task WatchStatesAsync(MeshEvents events, ChannelWriter<bool> changed, CancellationToken cancellationToken)
    {
        // Only what happens from now on: the first snapshot already shows the current states.
        await foreach (var _ in events.WatchAsync(afterSequence: -1, cancellationToken).ConfigureAwait(false))
        {
            changed.TryWrite(true);
        }
    }

    private static async Task WatchCallsAsync(CallGraph graph, ChannelWriter<bool> changed, TimeProvider time, CancellationToken cancellationToken)
    {
        var seen = graph.Version;
        while (true)
        {
            await graph.WaitForChangeAsync(seen, cancellationToken).ConfigureAwait(false);
            seen = graph.Version;
            changed.TryWrite(true);
            // A busy mesh changes the graph with every request: look again only when the next snapshot may go out.
            await Task.Delay(Throttle, time, cancellationToken).ConfigureAwait(false);
        }
    }
}
