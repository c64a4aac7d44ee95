namespace MeshDev.Text.Tests;

/// <summary>Counts read as English: one is singular, every other count (zero too) plural.</summary>
public sealed class PluralTests
{
    [Theory]
    [InlineData(1, "service", "1 service")]
    [InlineData(2, "service", "2 services")]
    [InlineData(0, "service", "0 services")]
    [InlineData(1, "process", "1 process")]
    [InlineData(3, "process", "3 processes")]
    [InlineData(2, "Deployment", "2 Deployments")]
    [InlineData(2, "box", "2 boxes")]
    [InlineData(2, "match", "2 matches")]
    [InlineData(2, "mesh", "2 meshes")]
    public void A_count_takes_the_singular_only_for_one(int count, string noun, string expected) =>
        Assert.Equal(expected, Plural.Of(count, noun));

    [Fact]
    public void An_irregular_plural_is_used_as_given()
    {
        Assert.Equal("2 entries", Plural.Of(2, "entry", "entries"));
        Assert.Equal("1 entry", Plural.Of(1, "entry", "entries"));
    }

    [Fact]
    public void The_noun_alone_follows_the_count_for_lists_after_it()
    {
        Assert.Equal("namespace", Plural.Noun(1, "namespace"));
        Assert.Equal("namespaces", Plural.Noun(2, "namespace"));
    }

    [Fact]
    public void Large_counts_have_no_group_separator()
    {
        Assert.Equal("12345 requests", Plural.Of(12345, "request"));
    }
}
