namespace MeshDev.Calls;

/// <summary>
/// The last requests through the mesh, in a fixed ring that requests write without locks or allocation: a ticket, a few
/// field writes, a release. Each slot carries the ticket it holds (0 while being written), so a reader copies a slot and
/// keeps it only when the ticket is the same before and after.
/// </summary>
internal sealed class RecentRequests
{
    private readonly Slot[] _slots;
    private readonly long _mask;
    private long _written;

    /// <param name="capacity">A power of two.</param>
    public RecentRequests(int capacity)
    {
        if (capacity < 1 || (capacity & (capacity - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "must be a power of two");
        }

        _slots = new Slot[capacity];
        for (var i = 0; i < capacity; i++)
        {
            _slots[i] = new Slot();
        }

        _mask = capacity - 1;
    }

    public int Capacity => _slots.Length;

    /// <summary>How many requests were ever added.</summary>
    public long Written => Interlocked.Read(ref _written);

    public void Add(CallerConnection connection, string service, string method, string? path, int status, long started, long ended)
    {
        var ticket = Interlocked.Increment(ref _written);
        var slot = _slots[ticket & _mask];
        // A full fence: the field writes below must not become visible before readers can tell the slot is being written.
        Interlocked.Exchange(ref slot.Ticket, 0);
        slot.Connection = connection;
        slot.Service = service;
        slot.Method = method;
        slot.Path = path;
        slot.Status = status;
        slot.Started = started;
        slot.Ended = ended;
        Volatile.Write(ref slot.Ticket, ticket);
    }

    /// <summary>Up to <paramref name="count"/> of the latest requests, newest first.</summary>
    public List<Entry> Latest(int count)
    {
        var latest = new List<Entry>(Math.Min(count, _slots.Length));
        var last = Written;
        for (var ticket = last; ticket > 0 && ticket > last - _slots.Length && latest.Count < count; ticket--)
        {
            var slot = _slots[ticket & _mask];
            if (Volatile.Read(ref slot.Ticket) != ticket)
            {
                continue; // being written, or already overwritten by a newer request
            }

            var entry = new Entry(slot.Connection!, slot.Service!, slot.Method!, slot.Path, slot.Status, slot.Started, slot.Ended);
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref slot.Ticket) == ticket)
            {
                latest.Add(entry);
            }
        }

        return latest;
    }

    /// <summary>One request as recorded: timestamps are <see cref="TimeProvider.GetTimestamp"/> values.</summary>
    internal readonly record struct Entry(CallerConnection Connection, string Service, string Method, string? Path, int Status, long Started, long Ended);

    private sealed class Slot
    {
        public long Ticket;
        public CallerConnection? Connection;
        public string? Service;
        public string? Method;
        public string? Path;
        public int Status;
        public long Started;
        public long Ended;
    }
}
