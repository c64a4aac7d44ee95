namespace MeshDev.Link.Hpack;

/// <summary>An HPACK dynamic table (RFC 7541 §2.3.2, §4): newest entry first, oldest evicted first.</summary>
/// <remarks>
/// Names and values live back to back in one reused buffer, oldest first, so each is one span for the sink. Eviction
/// only moves <c>_start</c>; an entry that does not fit after <c>_end</c> moves the live bytes to the front first. The
/// buffer grows to at most twice the table's size, so between two such moves at least the table's size is added and
/// each octet is moved a bounded number of times.
/// </remarks>
internal sealed class DynamicTable
{
    /// <summary>What RFC 7541 §4.1 counts for each entry on top of its name and value.</summary>
    public const int EntryOverhead = 32;

    private byte[] _data = [];
    private int _start;
    private int _end;
    private Entry[] _entries = [];
    private int _oldest;

    public DynamicTable(int maxSize) => MaxSize = maxSize;

    public int Count { get; private set; }

    /// <summary>The table's size as RFC 7541 §4.1 counts it.</summary>
    public int Size { get; private set; }

    public int MaxSize { get; private set; }

    /// <summary>The entry at <paramref name="index"/>, 0 being the newest.</summary>
    public void Get(int index, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        var entry = _entries[(_oldest + Count - 1 - index) % _entries.Length];
        name = _data.AsSpan(entry.Offset, entry.NameLength);
        value = _data.AsSpan(entry.Offset + entry.NameLength, entry.ValueLength);
    }

    public void SetMaxSize(int maxSize)
    {
        MaxSize = maxSize;
        EvictTo(maxSize);
    }

    /// <summary>Adds an entry; neither span may point into this table (copy a name taken from it first).</summary>
    public void Add(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        var size = (long)name.Length + value.Length + EntryOverhead;
        if (size > MaxSize)
        {
            // RFC 7541 §4.4: not an error; the table ends up empty.
            EvictTo(0);
            return;
        }

        EvictTo(MaxSize - (int)size);
        var length = name.Length + value.Length;
        MakeRoom(length);
        name.CopyTo(_data.AsSpan(_end));
        value.CopyTo(_data.AsSpan(_end + name.Length));
        if (Count == _entries.Length)
        {
            GrowEntries();
        }

        _entries[(_oldest + Count) % _entries.Length] = new Entry(_end, name.Length, value.Length);
        _end += length;
        Count++;
        Size += (int)size;
    }

    private void EvictTo(int size)
    {
        while (Size > size)
        {
            var oldest = _entries[_oldest];
            _oldest = (_oldest + 1) % _entries.Length;
            Count--;
            Size -= oldest.NameLength + oldest.ValueLength + EntryOverhead;
            _start = oldest.Offset + oldest.NameLength + oldest.ValueLength;
        }

        if (Count == 0)
        {
            _start = _end = 0;
        }
    }

    private void MakeRoom(int length)
    {
        if (_data.Length - _end >= length)
        {
            return;
        }

        var live = _end - _start;
        var target = _data;
        if (live + length > _data.Length)
        {
            var capacity = Math.Min(Math.Max(_data.Length * 2, 256), 2 * MaxSize);
            target = new byte[Math.Max(capacity, live + length)];
        }

        _data.AsSpan(_start, live).CopyTo(target);
        _data = target;
        for (var i = 0; i < Count; i++)
        {
            ref var entry = ref _entries[(_oldest + i) % _entries.Length];
            entry = entry with { Offset = entry.Offset - _start };
        }

        _start = 0;
        _end = live;
    }

    private void GrowEntries()
    {
        var grown = new Entry[Math.Max(_entries.Length * 2, 16)];
        for (var i = 0; i < Count; i++)
        {
            grown[i] = _entries[(_oldest + i) % _entries.Length];
        }

        _entries = grown;
        _oldest = 0;
    }

    private readonly record struct Entry(int Offset, int NameLength, int ValueLength);
}
