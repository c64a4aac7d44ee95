namespace MeshDev.Link.Hpack;

/// <summary>Decodes RFC 7541 Huffman strings four bits at a time, through a state table built once.</summary>
/// <remarks>
/// A state is an internal node of the code's tree (256 of them for 257 symbols, so a byte). No code is shorter than
/// five bits, so a nibble completes at most one symbol, and one lookup per nibble says where the walk goes, what it
/// emits, and whether the bits read so far could end the string (padding: a prefix of EOS, so all ones, at most seven
/// bits).
/// </remarks>
internal static class Huffman
{
    private const uint Emit = 1u << 16;
    private const uint Fail = 1u << 17;
    private const uint Accept = 1u << 18;
    private const uint OnesPath = 1u << 19;
    private const int MinCodeLength = 5;

    private static readonly uint[] Transitions = BuildTransitions();

    /// <summary>The most octets <paramref name="encodedLength"/> encoded octets can decode to.</summary>
    public static int MaxDecodedLength(int encodedLength) => (int)((long)encodedLength * 8 / MinCodeLength);

    /// <summary>Decodes <paramref name="source"/> into <paramref name="destination"/> (at least
    /// <see cref="MaxDecodedLength"/> long) and returns the decoded length.</summary>
    public static int Decode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var table = Transitions;
        var written = 0;
        var state = 0u;
        var entry = Accept; // the empty string is valid
        foreach (var octet in source)
        {
            entry = table[(state << 4) | (uint)(octet >> 4)];
            if ((entry & (Emit | Fail)) != 0)
            {
                written = Step(entry, destination, written);
            }

            entry = table[((entry & 0xFF) << 4) | (uint)(octet & 0xF)];
            if ((entry & (Emit | Fail)) != 0)
            {
                written = Step(entry, destination, written);
            }

            state = entry & 0xFF;
        }

        if ((entry & Accept) == 0)
        {
            throw new HpackException((entry & OnesPath) != 0
                ? "A Huffman-encoded string ends with padding longer than 7 bits."
                : "A Huffman-encoded string ends with padding that is not all ones (or with a truncated code).");
        }

        return written;
    }

    private static int Step(uint entry, Span<byte> destination, int written)
    {
        if ((entry & Fail) != 0)
        {
            throw new HpackException("A Huffman-encoded string contains the EOS symbol.");
        }

        destination[written] = (byte)(entry >> 8);
        return written + 1;
    }

    private static uint[] BuildTransitions()
    {
        // children[node * 2 + bit]: > 0 an internal node, < 0 the leaf ~symbol, 0 not yet made (the root is no child).
        var children = new int[512];
        var nodes = 1;
        var codes = HuffmanCode.Codes;
        var lengths = HuffmanCode.Lengths;
        for (var symbol = 0; symbol <= HuffmanCode.Eos; symbol++)
        {
            var node = 0;
            for (var bit = lengths[symbol] - 1; bit > 0; bit--)
            {
                ref var child = ref children[(node * 2) + (int)((codes[symbol] >> bit) & 1)];
                if (child == 0)
                {
                    child = nodes++;
                }

                node = child;
            }

            children[(node * 2) + (int)(codes[symbol] & 1)] = ~symbol;
        }

        var onesDepth = new int[256];
        onesDepth.AsSpan().Fill(-1);
        for (int node = 0, depth = 0; node > 0 || depth == 0; node = children[(node * 2) + 1], depth++)
        {
            onesDepth[node] = depth;
        }

        var table = new uint[256 * 16];
        for (var state = 0; state < 256; state++)
        {
            for (var nibble = 0; nibble < 16; nibble++)
            {
                var node = state;
                var entry = 0u;
                for (var bit = 3; bit >= 0; bit--)
                {
                    var child = children[(node * 2) + ((nibble >> bit) & 1)];
                    node = child > 0 ? child : 0;
                    if (child < 0)
                    {
                        entry |= ~child == HuffmanCode.Eos ? Fail : Emit | ((uint)~child << 8);
                    }
                }

                var depth = onesDepth[node];
                entry |= (uint)node | (depth >= 0 ? OnesPath : 0) | (depth is >= 0 and <= 7 ? Accept : 0);
                table[(state * 16) + nibble] = entry;
            }
        }

        return table;
    }
}
