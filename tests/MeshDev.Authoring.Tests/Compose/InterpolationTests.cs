using MeshDev.Authoring.Compose;

namespace MeshDev.Authoring.Tests.Compose;

public sealed class InterpolationTests
{
    private static readonly Dictionary<string, string> Variables = new() { ["NAME"] = "shop", ["EMPTY"] = "", ["_UNDER_1"] = "u" };

    private static (string Text, List<string> Problems) Substitute(string text)
    {
        var problems = new List<string>();
        var result = new Interpolation(name => Variables.GetValueOrDefault(name)).Substitute(text, problems.Add);
        return (result, problems);
    }

    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("$NAME", "shop")]
    [InlineData("${NAME}", "shop")]
    [InlineData("a-$NAME-b", "a-shop-b")]
    [InlineData("$NAME.local", "shop.local")]
    [InlineData("${_UNDER_1}x", "ux")]
    [InlineData("$$NAME", "$NAME")]
    [InlineData("$${NAME}", "${NAME}")]
    [InlineData("100$$", "100$")]
    [InlineData("${NAME:-default}", "shop")]
    [InlineData("${MISSING:-default}", "default")]
    [InlineData("${EMPTY:-default}", "default")]
    [InlineData("${EMPTY-default}", "")]
    [InlineData("${MISSING-default}", "default")]
    [InlineData("${MISSING:-}", "")]
    [InlineData("${MISSING:-${NAME}-1}", "shop-1")]
    [InlineData("${MISSING:-${ALSO_MISSING:-deep}}", "deep")]
    [InlineData("${MISSING:-a:b}", "a:b")]
    [InlineData("${NAME:+set}", "set")]
    [InlineData("${EMPTY:+set}", "")]
    [InlineData("${EMPTY+set}", "set")]
    [InlineData("${MISSING+set}", "")]
    [InlineData("${NAME:?required}", "shop")]
    [InlineData("${NAME?required}", "shop")]
    [InlineData("${EMPTY?required}", "")]
    public void Substitutes_like_compose(string text, string expected)
    {
        var (result, problems) = Substitute(text);

        Assert.Equal(expected, result);
        Assert.Empty(problems);
    }

    [Theory]
    [InlineData("$MISSING", "", "variable MISSING is not set; it is replaced by an empty string")]
    [InlineData("x${MISSING}y", "xy", "variable MISSING is not set; it is replaced by an empty string")]
    [InlineData("${MISSING:?tell me}", "", "variable MISSING is required: tell me; it is replaced by an empty string")]
    [InlineData("${EMPTY:?}", "", "variable EMPTY is required; it is replaced by an empty string")]
    [InlineData("${MISSING?no $NAME}", "", "variable MISSING is required: no shop; it is replaced by an empty string")]
    [InlineData("${NAME", "${NAME", "'${NAME' has no closing '}'; write $$ for a literal $ (kept as written)")]
    [InlineData("${}", "${}", "'${}' is not a valid variable reference; write $$ for a literal $ (kept as written)")]
    [InlineData("${1X}", "${1X}", "'${1X}' is not a valid variable reference; write $$ for a literal $ (kept as written)")]
    [InlineData("${NAME/x/y}", "${NAME/x/y}", "'${NAME/x/y}' is not a valid variable reference; write $$ for a literal $ (kept as written)")]
    [InlineData("cost: 5$", "cost: 5$", "'$' is not followed by a variable name; write $$ for a literal $ (kept as written)")]
    [InlineData("$1", "$1", "'$' is not followed by a variable name; write $$ for a literal $ (kept as written)")]
    public void Reports_what_compose_would_warn_about_or_reject(string text, string expected, string problem)
    {
        var (result, problems) = Substitute(text);

        Assert.Equal(expected, result);
        Assert.Equal([problem], problems);
    }

    [Fact]
    public void A_default_that_is_not_used_is_not_looked_at()
    {
        var (result, problems) = Substitute("${NAME:-${MISSING}}");

        Assert.Equal("shop", result);
        Assert.Empty(problems);
    }
}
