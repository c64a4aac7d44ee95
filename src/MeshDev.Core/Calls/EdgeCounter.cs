namespace MeshDev.Calls;

/// <summary>The live counters of one edge of the <see cref="CallGraph"/>: how often a caller called a service, and when last.</summary>
internal sealed class EdgeCounter(string caller, string service)
{
    private long _count;
    private long _lastSeen;

    public string Caller { get; } = caller;

    public string Service { get; } = service;

    public long Count => Interlocked.Read(ref _count);

    /// <summary>The <see cref="TimeProvider.GetTimestamp"/> of the last call.</summary>
    public long LastSeen => Interlocked.Read(ref _lastSeen);

    /// <summary>One call (the hot path). Two threads may stamp out of order; a last-seen off by microseconds does not matter.</summary>
    public void Hit(long timestamp)
    {
        Interlocked.Increment(ref _count);
        Volatile.Write(ref _lastSeen, timestamp);
    }

    /// <summary>Calls counted before their caller was known, added once it is.</summary>
    public void Add(long calls, long lastTimestamp)
    {
        Interlocked.Add(ref _count, calls);
        var seen = Interlocked.Read(ref _lastSeen);
        while (lastTimestamp > seen)
        {
            var previous = Interlocked.CompareExchange(ref _lastSeen, lastTimestamp, seen);
            if (previous == seen)
            {
                break;
            }

            seen = previous;
        }
    }
}
