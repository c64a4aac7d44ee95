using MeshDev.Link.Hpack;

namespace MeshDev.Proxy.Tests.Hpack;

/// <summary>Dynamic table sizing (RFC 7541 §4): updates, eviction, and entries the table cannot hold.</summary>
public sealed class HpackDecoderTableSizeTests
{
    [Fact]
    public void A_size_update_above_the_constructors_size_is_followed_up_to_the_hard_limit()
    {
        var decoder = new HpackDecoder(4096);
        var value = new string('v', 5000);

        // Size update to 65536, then custom-key: 5000 'v's with incremental indexing.
        var fields = HeaderList.Decode(decoder, "3f e1 ff 03 40 01 6b 7f 89 26" + Repeat(value));

        Assert.Equal([("k", value)], fields);
        Assert.Equal(65536, decoder.Table.MaxSize);
        Assert.Equal([("k", value)], HeaderList.Table(decoder));
        Assert.Equal([(":method", "GET"), ("k", value)], HeaderList.Decode(decoder, "3f e1 ff 3f 82 be"));
    }

    [Fact]
    public void A_size_update_to_zero_empties_the_table_and_two_updates_may_open_a_block()
    {
        var decoder = new HpackDecoder();
        HeaderList.Decode(decoder, "40 01 61 01 62 40 01 63 01 64");
        Assert.Equal(2, decoder.Table.Count);

        var fields = HeaderList.Decode(decoder, "20 3f e1 1f 40 01 65 01 66");

        Assert.Equal([("e", "f")], fields);
        Assert.Equal([("e", "f")], HeaderList.Table(decoder));
        Assert.Equal(4096, decoder.Table.MaxSize);
    }

    [Fact]
    public void An_entry_larger_than_the_table_empties_it_and_is_still_decoded()
    {
        var decoder = new HpackDecoder(64);
        HeaderList.Decode(decoder, "40 01 61 01 62");
        var value = new string('x', 40);

        var fields = HeaderList.Decode(decoder, "40 01 6b 28" + Repeat(value));

        Assert.Equal([("k", value)], fields);
        Assert.Empty(HeaderList.Table(decoder));
        Assert.Equal(0, decoder.Table.Size);
    }

    [Fact]
    public void A_name_taken_from_the_entry_its_insertion_evicts_is_kept_intact()
    {
        // Room for one entry: adding a new value under the name of index 62 evicts that very entry first.
        var decoder = new HpackDecoder(50);
        HeaderList.Decode(decoder, "40 04 6e 61 6d 65 05 66 69 72 73 74");

        var fields = HeaderList.Decode(decoder, "7e 06 73 65 63 6f 6e 64 be");

        Assert.Equal([("name", "second"), ("name", "second")], fields);
        Assert.Equal([("name", "second")], HeaderList.Table(decoder));
    }

    [Fact]
    public void Many_blocks_through_a_small_table_keep_every_entry_readable()
    {
        // Enough insertions to wrap the entry ring and move the table's bytes to the front many times.
        var decoder = new HpackDecoder(200);
        for (var i = 0; i < 500; i++)
        {
            var value = new string((char)('a' + (i % 26)), 1 + (i % 40));
            var fields = HeaderList.Decode(decoder, $"40 02 6b 31 {value.Length:x2}" + Repeat(value) + " be");

            Assert.Equal([("k1", value), ("k1", value)], fields);
            Assert.InRange(decoder.Table.Size, 0, 200);
        }
    }

    private static string Repeat(string value) => Convert.ToHexString(System.Text.Encoding.ASCII.GetBytes(value));
}
