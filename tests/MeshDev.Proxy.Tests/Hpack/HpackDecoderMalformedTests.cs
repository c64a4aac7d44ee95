using MeshDev.Link.Hpack;

namespace MeshDev.Proxy.Tests.Hpack;

/// <summary>Every way a block can break RFC 7541 ends in an <see cref="HpackException"/> that says which.</summary>
public sealed class HpackDecoderMalformedTests
{
    [Theory]
    [InlineData("80", "index 0")] // §6.1 indexed field with index 0
    [InlineData("be", "past the tables' end")] // index 62 with an empty dynamic table
    [InlineData("7e 01 61", "past the tables' end")] // literal whose name index 62 is past the end
    [InlineData("ff ff ff ff ff 0f", "does not fit in 31 bits")] // 127 + ... + 15 << 28
    [InlineData("ff 80 80 80 80 80 00", "does not fit in 31 bits")] // six continuation octets
    [InlineData("ff", "cut off")] // integer prefix full, no continuation
    [InlineData("ff 80", "cut off")] // continuation bit set on the last octet
    [InlineData("40 05 61 62", "runs past the block's end")] // name of 5 octets, 2 present
    [InlineData("41 03 61", "runs past the block's end")] // value of 3 octets, 1 present
    [InlineData("40", "where a string literal should start")] // new name, nothing after
    [InlineData("41", "where a string literal should start")] // indexed name, no value
    [InlineData("40 84 ff ff ff ff 00", "EOS")] // name is the 30-bit EOS code and 2 bits of padding
    [InlineData("00 01 61 82 07 ff", "longer than 7 bits")] // '0' (00000) then 11 one-bits
    [InlineData("00 01 61 81 ff", "longer than 7 bits")] // 8 one-bits and no symbol
    [InlineData("00 01 61 81 00", "not all ones")] // '0' (00000) then 000
    [InlineData("00 01 61 81 fe", "not all ones")] // a truncated 8-bit code
    [InlineData("82 20", "follows a header field")] // size update after :method GET
    [InlineData("3f e2 ff 3f", "exceeds the limit")] // size update to 1 MiB + 1
    public void A_malformed_block_throws_HpackException_saying_what_is_wrong(string hex, string expected)
    {
        var decoder = new HpackDecoder();

        var error = Assert.Throws<HpackException>(() => HeaderList.Decode(decoder, hex));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_blocks_decode_or_throw_HpackException_and_nothing_else()
    {
        var random = new Random(7541);
        var decoded = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var block = new byte[random.Next(1, 64)];
            random.NextBytes(block);

            // Mostly small indexes and lengths, so that many blocks get past the first field.
            for (var j = 0; j < block.Length; j += 3)
            {
                block[j] &= 0xC7;
            }

            try
            {
                new HpackDecoder(random.Next(0, 512)).Decode(block, new HeaderList());
                decoded++;
            }
            catch (HpackException)
            {
            }
        }

        Assert.InRange(decoded, 1, 19_999);
    }
}
