namespace MeshDev.Link.Hpack;

/// <summary>
/// Decodes the header blocks of one direction of one HTTP/2 connection (RFC 7541), following its dynamic table, for
/// a relay that observes the blocks it passes on unchanged.
/// </summary>
/// <remarks>
/// The peer that really decodes the blocks enforces the limits it advertised, so a table size update above the one
/// given here is accepted up to <see cref="MaxTableSizeLimit"/>. After an <see cref="HpackException"/> the table no
/// longer follows the connection's (the peer will close it with a compression error): stop using the decoder.
/// </remarks>
public sealed class HpackDecoder
{
    /// <summary>The largest dynamic table size update accepted, whatever the constructor was given.</summary>
    public const int MaxTableSizeLimit = 1 << 20;

    private readonly DynamicTable _table;

    // Huffman-decoded names and values, and a name copied out of the table before adding an entry evicts it.
    private byte[] _scratch = [];

    /// <summary>A decoder whose dynamic table starts at the given size (HTTP/2 starts at 4096).</summary>
    public HpackDecoder(int maxDynamicTableSize = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDynamicTableSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxDynamicTableSize, MaxTableSizeLimit);
        _table = new DynamicTable(maxDynamicTableSize);
    }

    internal DynamicTable Table => _table;

    /// <summary>
    /// Decodes one complete header block (a HEADERS frame's fragment and its CONTINUATION frames', without padding or
    /// priority) and hands each field to <paramref name="sink"/> in order; throws <see cref="HpackException"/> if the
    /// block is not valid HPACK.
    /// </summary>
    public void Decode(ReadOnlySpan<byte> headerBlock, IHeaderSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var position = 0;
        var fieldSeen = false;
        while (position < headerBlock.Length)
        {
            var first = headerBlock[position];
            if ((first & 0x80) != 0)
            {
                // §6.1 indexed header field.
                var index = ReadInteger(headerBlock, ref position, 7);
                if (index == 0)
                {
                    throw new HpackException($"An indexed header field at octet {position - 1} has index 0.");
                }

                GetField(index, out var name, out var value);
                sink.OnHeader(name, value);
                fieldSeen = true;
            }
            else if ((first & 0xE0) == 0x20)
            {
                // §6.3 dynamic table size update: only before the first field (§4.2).
                var start = position;
                var size = ReadInteger(headerBlock, ref position, 5);
                if (fieldSeen)
                {
                    throw new HpackException($"A dynamic table size update at octet {start} follows a header field.");
                }

                if (size > MaxTableSizeLimit)
                {
                    throw new HpackException(
                        $"A dynamic table size update to {size} octets exceeds the limit of {MaxTableSizeLimit}.");
                }

                _table.SetMaxSize(size);
            }
            else
            {
                // §6.2: with incremental indexing (01), without indexing (0000) or never indexed (0001).
                var indexing = (first & 0xC0) == 0x40;
                DecodeLiteral(headerBlock, ref position, indexing, sink);
                fieldSeen = true;
            }
        }
    }

    private void DecodeLiteral(ReadOnlySpan<byte> block, ref int position, bool indexing, IHeaderSink sink)
    {
        var nameIndex = ReadInteger(block, ref position, indexing ? 6 : 4);
        var scratchUsed = 0;
        ReadOnlySpan<byte> name;
        if (nameIndex == 0)
        {
            name = ReadString(block, ref position, ref scratchUsed);
        }
        else
        {
            GetField(nameIndex, out name, out _);
            if (indexing && nameIndex > StaticTable.Entries.Length)
            {
                // Adding the entry may evict the one the name is in and move the table's bytes.
                name.CopyTo(Scratch(0, name.Length));
                name = _scratch.AsSpan(0, name.Length);
                scratchUsed = name.Length;
            }
        }

        var value = ReadString(block, ref position, ref scratchUsed);
        if (indexing)
        {
            _table.Add(name, value);
        }

        sink.OnHeader(name, value);
    }

    private void GetField(int index, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        var statics = StaticTable.Entries;
        if (index <= statics.Length)
        {
            name = statics[index - 1].Name;
            value = statics[index - 1].Value;
            return;
        }

        var dynamicIndex = index - statics.Length - 1;
        if (dynamicIndex >= _table.Count)
        {
            throw new HpackException(
                $"Index {index} is past the tables' end ({statics.Length} static and {_table.Count} dynamic entries).");
        }

        _table.Get(dynamicIndex, out name, out value);
    }

    private ReadOnlySpan<byte> ReadString(ReadOnlySpan<byte> block, scoped ref int position, scoped ref int scratchUsed)
    {
        if (position >= block.Length)
        {
            throw new HpackException("The header block ends where a string literal should start.");
        }

        var huffman = (block[position] & 0x80) != 0;
        var length = ReadInteger(block, ref position, 7);
        if (length > block.Length - position)
        {
            throw new HpackException(
                $"A string literal of {length} octets at octet {position} runs past the block's end " +
                $"({block.Length - position} octets left).");
        }

        var encoded = block.Slice(position, length);
        position += length;
        if (!huffman)
        {
            return encoded;
        }

        var destination = Scratch(scratchUsed, Huffman.MaxDecodedLength(length));
        var decoded = Huffman.Decode(encoded, destination);
        var result = destination[..decoded];
        scratchUsed += decoded;
        return result;
    }

    /// <summary>Scratch space at <paramref name="offset"/>, keeping what is before it.</summary>
    /// <remarks>A span handed out before a grow still reads the old array, which the span itself keeps alive.</remarks>
    private Span<byte> Scratch(int offset, int length)
    {
        if (_scratch.Length - offset < length)
        {
            var grown = new byte[Math.Max(offset + length, Math.Min(_scratch.Length * 2, offset + length + 4096))];
            _scratch.AsSpan(0, offset).CopyTo(grown);
            _scratch = grown;
        }

        return _scratch.AsSpan(offset, length);
    }

    /// <summary>An RFC 7541 §5.1 integer with an N-bit prefix, which must fit an int.</summary>
    private static int ReadInteger(ReadOnlySpan<byte> block, ref int position, int prefixBits)
    {
        var start = position;
        var mask = (1 << prefixBits) - 1;
        var value = block[position++] & mask;
        if (value < mask)
        {
            return value;
        }

        for (var shift = 0; ; shift += 7)
        {
            if (position >= block.Length)
            {
                throw new HpackException($"The integer at octet {start} is cut off by the end of the header block.");
            }

            var octet = block[position++];
            var sum = value + ((long)(octet & 0x7F) << shift);
            if (shift > 28 || sum > int.MaxValue)
            {
                throw new HpackException($"The integer at octet {start} does not fit in 31 bits.");
            }

            value = (int)sum;
            if ((octet & 0x80) == 0)
            {
                return value;
            }
        }
    }
}
