using System.Runtime.CompilerServices;
using System.Threading.Channels;
using MeshDev.Calls;
using MeshDev.Daemon.Hosting;

namespace MeshDev.Daemon.Dashboard;

/// <summary>
/// What one open dashboard is sent: a snapshot at once, then a new one after every change — service state changes
/// (<see cref="MeshEvents"/>) and calls (<see cref="CallGraph"/>) — at most <see cref="MaxPerSecond"/> a second however
/// busy the mesh is, and a heartbeat (null) when nothing changed for a while, so a closed page is noticed. While a
/// request is in flight, a snapshot at least every <see cref="InFlightPoll"/> as well: a hung request changes nothing,
/// yet its age grows, and that is what the page must show.
/// </summary>
internal static class DashboardFeed
{
    public const int MaxPerSecond = 4;
    public static readonly TimeSpan Throttle = TimeSpan.FromSeconds(1.0 / MaxPerSecond);
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan InFlightPoll = TimeSpan.FromSeconds(1);

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
            var snapshot = DashboardSnapshot.Of(host);
            yield return snapshot;
            var sent = time.GetTimestamp();
            var beat = sent;
            while (true)
            {
                if (!await WaitAsync(changed.Reader, time, InFlightPoll, cancellationToken).ConfigureAwait(false))
                {
                    // Requests in flight when the last snapshot went out, or now (a request that began and hangs is
                    // no event): a new snapshot shows their count and the oldest one's age, or that they ended.
                    if (HasInFlight(snapshot) || host.Activator.Services.Any(a => a.InFlight > 0))
                    {
                        snapshot = DashboardSnapshot.Of(host);
                        yield return snapshot;
                        sent = beat = time.GetTimestamp();
                    }
                    else if (time.GetElapsedTime(beat) >= Heartbeat)
                    {
                        yield return null;
                        beat = time.GetTimestamp();
                    }

                    continue;
                }

                var since = time.GetElapsedTime(sent);
                if (since < Throttle)
                {
                    await Task.Delay(Throttle - since, time, cancellationToken).ConfigureAwait(false);
                }

                changed.Reader.TryRead(out _);
                snapshot = DashboardSnapshot.Of(host);
                yield return snapshot;
                sent = beat = time.GetTimestamp();
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await watchers.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private static bool HasInFlight(DashboardSnapshot snapshot) => snapshot.Services.Any(s => s.InFlight > 0);

    /// <summary>True once something changed; false after <paramref name="timeout"/> without a change.</summary>
    private static async Task<bool> WaitAsync(ChannelReader<bool> changed, TimeProvider time, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var quiet = new CancellationTokenSource(timeout, time);
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
