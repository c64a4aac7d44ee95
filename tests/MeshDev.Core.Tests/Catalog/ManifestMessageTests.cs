using MeshDev.Catalog;

namespace MeshDev.Core.Tests.Catalog;

/// <summary>Messages that point the right way: parser errors explained as what is wrong on that line, unknown keys with the nearest known key.</summary>
public sealed class ManifestMessageTests
{
    private static readonly string ManifestPath = Path.Combine(Path.GetTempPath(), "meshdev-message-tests", "meshdev.yaml");

    /// <summary>Each row: a common slip and the one sentence it gets, as <c>line:col: message</c>.</summary>
    public static TheoryData<string, string> SyntaxSlips => new()
    {
        {
            // YamlDotNet: "While scanning a plain scalar value, found invalid mapping."
            "services:\n  orders:\n    command: x\n     port: 5\n",
            "4:6: 'port' on line 4 is indented more than 'command' on line 3, so it reads as part of the value of 'command'; indent it by 4 spaces like 'command'"
        },
        {
            // "While parsing a block mapping, did not find expected key."
            "services:\n  orders:\n    command: x\n   port: 5\n",
            "4:4: 'port' on line 4 is indented by 3 spaces, which lines up with no key above it ('command' has 4); keys of one mapping must start in the same column"
        },
        {
            // "While scanning a multiline plain scalar, found invalid mapping."
            "services:\n  orders:\n    command:x\n    port: 5\n",
            "3:12: line 3 has no space after ':' in 'command:x'; write 'command: x'"
        },
        {
            "services:\n  orders:\n    command: a: b\n",
            "3:15: line 3 has a second ': ' inside a value; quote the value (\"…\") or put the nested key on its own line, indented"
        },
        {
            "services:\n  orders\n    command: x\n",
            "2:3: 'orders' on line 2 needs a ':' after it to hold the lines indented below it"
        },
        {
            "services:\n  orders:\n    command: \"./orders\n",
            "3:14: the \" that starts this value is never closed; end the value with \" on the same line"
        },
        {
            "services:\n  orders:\n    command: 'x\n    port: 5\n",
            "3:14: the ' that starts this value is never closed; end the value with ' on the same line"
        },
        {
            "services:\n  orders:\n\tcommand: x\n",
            "3:1: line 3 is indented with a tab; YAML indents with spaces only"
        },
        {
            "services:\n  orders:\n    command: @x\n",
            "3:14: '@' cannot start a value; put the value in quotes, like \"@…\""
        },
        {
            "services:\n  orders:\n    command: x\nports\n",
            "4:1: line 4 is not a 'key: value' line; add ': value' after 'ports' or remove the line"
        },
        {
            "services:\n  orders:\n    command: x\n    - a\n",
            "4:5: line 4 starts a list item where a key is expected; put the list under its key (like 'args:') and indent it below that key"
        },
        {
            "services:\n  orders:\n    ready: {http: /x}}\n",
            "3:22: this '}' closes nothing; remove it or add the '{' it should close"
        },
        {
            "services:\n  orders:\n    command: \"x\" y\n",
            "3:18: text follows the closing quote on line 3; put the whole value inside the quotes"
        },
        {
            "services:\n  orders:\n    args: [a, b\n",
            "3:11: the '[' opened on line 3 is never closed; close it with ']' and separate its items with ','"
        },
    };

    [Theory]
    [MemberData(nameof(SyntaxSlips))]
    public void A_parser_error_becomes_a_sentence_about_that_line(string yaml, string expected)
    {
        var error = Assert.Single(Errors(yaml));

        Assert.Equal(expected, error);
        Assert.DoesNotContain("While ", error, StringComparison.Ordinal);
    }

    /// <summary>Each row: a manifest with one mistyped key and the message it gets.</summary>
    public static TheoryData<string, string> Typos => new()
    {
        { "services:\n  orders:\n    comand: ./orders\n", "3:5: unknown key 'comand' in service 'orders'; did you mean 'command'?" },
        { "services:\n  orders:\n    command: ./orders\n    MeshPort: 15101\n", "4:5: unknown key 'MeshPort' in service 'orders'; did you mean 'meshPort'?" },
        { "services:\n  orders:\n    command: ./orders\n    idelTimeout: 5m\n", "4:5: unknown key 'idelTimeout' in service 'orders'; did you mean 'idleTimeout'?" },
        { "mesh:\n  htpp: 15000\nservices:\n  orders:\n    command: ./orders\n", "2:3: unknown key 'htpp' in mesh; did you mean 'http'?" },
        { "service:\n  orders:\n    command: ./orders\n", "1:1: unknown key 'service' at top level; did you mean 'services'?" },
        { "services:\n  orders:\n    command: ./orders\n    ready: { htp: /healthz }\n", "4:14: unknown key 'htp' in ready of service 'orders'; did you mean 'http'?" },
        { "services:\n  orders:\n    command: ./orders\n    routes: { host: [orders] }\n", "4:15: unknown key 'host' in routes of service 'orders'; did you mean 'hosts'?" },
        { "mesh:\n  admin: 15020\nservices:\n  orders:\n    command: ./orders\n", "2:3: unknown key 'admin' in mesh (expected one of: http, xds, portRange, logs, maxWaitingRequests, kubernetes, prewarm)" },
    };

    [Theory]
    [MemberData(nameof(Typos))]
    public void An_unknown_key_suggests_the_nearest_known_key_or_lists_them(string yaml, string expected)
    {
        Assert.Contains(expected, Errors(yaml));
    }

    [Theory]
    [InlineData("comand: ./orders", "3:5: unknown key 'comand' in service 'orders'; did you mean 'command'?")]
    [InlineData("projekt: Orders/Orders.csproj", "3:5: unknown key 'projekt' in service 'orders'; did you mean 'project'?")]
    public void A_misspelt_command_or_project_gets_one_message_not_also_needs_command(string line, string expected)
    {
        Assert.Equal([expected], Errors($"services:\n  orders:\n    {line}\n"));
    }

    [Fact]
    public void A_service_without_command_or_project_and_no_misspelling_of_them_still_needs_one()
    {
        var errors = Errors("services:\n  orders:\n    xyz: 1\n");

        Assert.Equal(2, errors.Length);
        Assert.Contains("2:3: service 'orders' needs 'command' or 'project'", errors);
        Assert.Contains(errors, e => e.StartsWith("3:5: unknown key 'xyz' in service 'orders' (expected one of: ", StringComparison.Ordinal));
    }

    [Fact]
    public void Top_level_and_service_x_keys_are_free_for_anchors()
    {
        var manifest = ManifestLoader.Parse("x-note: anything\nservices:\n  orders:\n    x-owner: team-a\n    command: ./orders\n", ManifestPath);

        Assert.Equal("orders", Assert.Single(manifest.Services).Name);
    }

    [Theory]
    [InlineData("comand", "command")]
    [InlineData("stat", "start")]
    [InlineData("stauts", "status")]
    [InlineData("log", "logs")]
    [InlineData("lauch", null)]
    [InlineData("xyz", null)]
    public void The_nearest_name_is_a_few_edits_away_or_none(string typed, string? expected)
    {
        string[] known = ["up", "down", "status", "routes", "validate", "start", "stop", "logs", "command"];

        Assert.Equal(expected, NearestName.Find(typed, known));
    }

    private static string[] Errors(string yaml)
    {
        var error = Assert.Throws<ManifestException>(() => ManifestLoader.Parse(yaml, ManifestPath));
        return [.. error.Errors.Select(e => $"{e.Location.Line}:{e.Location.Column}: {e.Message}")];
    }
}
