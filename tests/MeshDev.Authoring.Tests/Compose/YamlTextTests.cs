using MeshDev.Authoring.Compose;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Authoring.Tests.Compose;

/// <summary>Every string written into a manifest must read back through YamlDotNet as exactly that string.</summary>
public sealed class YamlTextTests
{
    public static TheoryData<string> Strings => new()
    {
        "", " ", "  lead", "trail ", "plain", "two words", "-", "-U", "--verbose", "- item", "?", "?x", ":", ":x", "a:b", "a: b", "ends:",
        "#", "a #b", "a#b", "&anchor", "*alias", "!tag", "|", ">", "'", "\"", "it's", "say \"hi\"", "%", "@", "`",
        "[", "]", "{", "}", ",", "a,b", "a[0]", "{x}", "${PORT}", "$PORT", "$$",
        "null", "Null", "NULL", "~", "true", "False", "yes", "No", "on", "OFF", "y", "n",
        "0", "007", "0o17", "0x1F", "0b101", "1_000", "-1", "+1", "1.5", ".5", "1e3", "1E-3", ".inf", "-.Inf", ".nan", "1:30", "2024-01-01",
        "2024-01-01T10:00:00Z", "1.2.3", "v1", "redis:7", "http://localhost:8080/x?a=1&b=2", "C:\\path", "back\\slash",
        "tab\there", "new\nline", "cr\rreturn", "nul\0", "bell\a", "esc\u001b", "del\u007f", "nel\u0085", "ls\u2028", "bom\ufeff",
        "café", "日本語", "emoji 😀", "---", "...", "a - b", "<<",
    };

    [Theory]
    [MemberData(nameof(Strings))]
    public void A_block_value_reads_back_unchanged(string value)
    {
        var yaml = $"key: {YamlText.Scalar(value)}\n";

        var mapping = Load(yaml);

        Assert.Equal(value, ((YamlScalarNode)mapping["key"]).Value);
    }

    [Theory]
    [MemberData(nameof(Strings))]
    public void A_flow_list_item_reads_back_unchanged(string value)
    {
        var yaml = $"key: [{YamlText.Scalar(value, inFlow: true)}, {YamlText.Scalar(value, inFlow: true)}]\n";

        var items = ((YamlSequenceNode)Load(yaml)["key"]).Children;

        Assert.Equal([value, value], items.Select(item => ((YamlScalarNode)item).Value));
    }

    [Theory]
    [MemberData(nameof(Strings))]
    public void A_key_reads_back_unchanged(string value)
    {
        var yaml = $"{YamlText.Scalar(value)}: x\n";

        var key = Assert.Single(Load(yaml).Children).Key;

        Assert.Equal(value, ((YamlScalarNode)key).Value);
    }

    [Theory]
    [InlineData("nginx:1.27-alpine", false)]
    [InlineData("--verbose", false)]
    [InlineData("pg_isready -U postgres", false)]
    [InlineData("http://0.0.0.0:8080", false)]
    [InlineData("a,b", false)]
    [InlineData("8080", true)]
    [InlineData("yes", true)]
    [InlineData("", true)]
    [InlineData("a: b", true)]
    public void Quotes_only_where_needed(string value, bool quoted)
    {
        Assert.Equal(quoted, YamlText.Scalar(value).StartsWith('"'));
    }

    [Fact]
    public void Commas_and_brackets_are_quoted_inside_a_flow_list_only()
    {
        Assert.Equal("a,b", YamlText.Scalar("a,b"));
        Assert.Equal("\"a,b\"", YamlText.Scalar("a,b", inFlow: true));
    }

    private static YamlMappingNode Load(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }
}
