namespace MeshDev.Activation;

/// <summary>
/// When the requests, streams and connections open to one service began, to within <see cref="Resolution"/>, so status
/// can show how long the oldest one has been open (a hung or SIGSTOPped service holds its callers without a word).
/// </summary>
/// <remarks>
/// This runs on every request, so it takes no lock and allocates nothing: entering costs one timestamp read and one
/// compare-and-swap, leaving one atomic decrement. Requests are counted per <see cref="Resolution"/> tick of their start
/// in a few slots; a slot holds a tick and how many requests of that tick are open, packed in one long so that it is
/// claimed atomically, and is free again once its count is back to zero. The oldest open request began in the oldest
/// tick that still has a count, so its age is reported from that tick's start: never less than the true age, less than
/// <see cref="Resolution"/> more. Exact to the tick unless requests from more than <see cref="Slots"/> different ticks
/// are open at once (long streams or connections opened at different times): a request that finds every slot taken is
/// counted with the newest open tick, as older than it is, which only shows once every request older than it closed.
/// </remarks>
internal sealed class InFlightStarts
{
    public const int Slots = 32;
    public static readonly TimeSpan Resolution = TimeSpan.FromMilliseconds(100);

    // A slot's count in the low bits, its tick above: 24 bits hold 16 million open requests of one tick, 40 bits of
    // ticks last 3.4 years of uptime.
    private const int CountBits = 24;
    private const long CountMask = (1L << CountBits) - 1;

    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly long _timestampsPerTick;
    private readonly long[] _slots = new long[Slots];

    public InFlightStarts(TimeProvider time)
    {
        _time = time;
        _origin = time.GetTimestamp();
        _timestampsPerTick = Math.Max(1, (long)(time.TimestampFrequency * Resolution.TotalSeconds));
    }

    /// <summary>Counts a request that begins now; returns the slot to pass to <see cref="Exit"/> when it ends.</summary>
    public int Enter()
    {
        var tick = Math.Max(0, (_time.GetTimestamp() - _origin) / _timestampsPerTick);
        var home = (int)(tick & (Slots - 1));
        while (true)
        {
            for (var i = 0; i < Slots; i++)
            {
                var index = (home + i) & (Slots - 1);
                if (TryJoin(index, tick))
                {
                    return index;
                }
            }

            if (JoinNewest() is { } joined)
            {
                return joined;
            }

            // Every slot emptied while we looked: look again.
        }
    }

    /// <summary>Ends a request counted by <see cref="Enter"/>.</summary>
    public void Exit(int slot) => Interlocked.Decrement(ref _slots[slot]);

    /// <summary>The timestamp (of the <see cref="TimeProvider"/>) of the start of the tick the oldest open request began in; null when none is open.</summary>
    public long? OldestStart()
    {
        var oldest = long.MaxValue;
        for (var i = 0; i < Slots; i++)
        {
            var value = Volatile.Read(ref _slots[i]);
            if ((value & CountMask) != 0)
            {
                oldest = Math.Min(oldest, value >> CountBits);
            }
        }

        return oldest == long.MaxValue ? null : _origin + (oldest * _timestampsPerTick);
    }

    /// <summary>Counts the request in slot <paramref name="index"/> when the slot is free or holds the same tick.</summary>
    private bool TryJoin(int index, long tick)
    {
        ref var slot = ref _slots[index];
        while (true)
        {
            var value = Volatile.Read(ref slot);
            long next;
            if ((value & CountMask) == 0)
            {
                next = (tick << CountBits) | 1;
            }
            else if (value >> CountBits == tick)
            {
                next = value + 1;
            }
            else
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref slot, next, value) == value)
            {
                return true;
            }
        }
    }

    /// <summary>Every slot holds another tick: counts the request with the newest one. Null when that slot emptied meanwhile.</summary>
    private int? JoinNewest()
    {
        var newest = -1;
        var newestTick = -1L;
        for (var i = 0; i < Slots; i++)
        {
            var value = Volatile.Read(ref _slots[i]);
            if ((value & CountMask) != 0 && value >> CountBits > newestTick)
            {
                newest = i;
                newestTick = value >> CountBits;
            }
        }

        if (newest < 0)
        {
            return null;
        }

        ref var slot = ref _slots[newest];
        while (true)
        {
            var value = Volatile.Read(ref slot);
            if ((value & CountMask) == 0)
            {
                return null;
            }

            if (Interlocked.CompareExchange(ref slot, value + 1, value) == value)
            {
                return newest;
            }
        }
    }
}
