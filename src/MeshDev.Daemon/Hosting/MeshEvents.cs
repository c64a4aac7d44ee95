using System.Threading.Channels;
using MeshDev.Activation;

namespace MeshDev.Daemon.Hosting;

/// <summary>One thing that happened in the mesh, as watchers (control API, dashboard, <c>up</c>) see it.</summary>
/// <param name="Sequence">Increases by one per event; a watcher that reconnects can ask for what came after the last it saw.</param>
public sealed record MeshEvent(long Sequence, DateTimeOffset At, ServiceStateChange Change);

/// <summary>
/// The mesh's event feed: every service state change (launches, readiness, failures, idle stops…), in order, fanned
/// out to any number of watchers. A watcher gets the recent history first, then live events; a watcher too slow to
/// keep up loses its oldest unread events rather than slowing the mesh down.
/// </summary>
public sealed class MeshEvents
{
    /// <summary>How many past events a new watcher is shown.</summary>
    public const int HistoryCapacity = 256;

    private const int WatcherCapacity = 1024;

    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Queue<MeshEvent> _history = new();
    private readonly List<Channel<MeshEvent>> _watchers = [];
    private long _sequence;

    public MeshEvents(TimeProvider time) => _time = time;

    /// <summary>Records a change and hands it to every watcher.</summary>
    public void Publish(ServiceStateChange change)
    {
        lock (_gate)
        {
            var e = new MeshEvent(++_sequence, _time.GetUtcNow(), change);
            _history.Enqueue(e);
            if (_history.Count > HistoryCapacity)
            {
                _history.Dequeue();
            }

            foreach (var watcher in _watchers)
            {
                watcher.Writer.TryWrite(e);
            }
        }
    }

    /// <summary>The recent events, oldest first.</summary>
    public IReadOnlyList<MeshEvent> History()
    {
        lock (_gate)
        {
            return [.. _history];
        }
    }

    /// <summary>
    /// Events after <paramref name="afterSequence"/> still in the history (all of it with 0; none with -1), then every new
    /// one, until <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public async IAsyncEnumerable<MeshEvent> WatchAsync(long afterSequence = 0, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateBounded<MeshEvent>(new BoundedChannelOptions(WatcherCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.DropOldest,
        });
        lock (_gate)
        {
            // Under the lock: no event can fall between the history and the live feed, nor come twice.
            foreach (var past in _history.Where(e => afterSequence >= 0 && e.Sequence > afterSequence))
            {
                channel.Writer.TryWrite(past);
            }

            _watchers.Add(channel);
        }

        try
        {
            await foreach (var e in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return e;
            }
        }
        finally
        {
            lock (_gate)
            {
                _watchers.Remove(channel);
            }
        }
    }
}
