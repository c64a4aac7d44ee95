using System.Text;
using MeshDev.Authoring.Profiles;
using static MeshDev.Authoring.Tests.Profiles.ProfileFixture;

namespace MeshDev.Authoring.Tests.Profiles;

/// <summary>
/// The <c>orders (mesh)</c> profile merged into real-world launchSettings.json files, each checked against its golden
/// file: the user's profiles, comments and formatting survive, and merging again changes nothing.
/// </summary>
public sealed class LaunchSettingsMergeTests
{
    /// <summary>Input file (null: there is none) → golden file.</summary>
    public static TheoryData<string?, string> Files => new()
    {
        // `dotnet new web`: http, https and IIS Express profiles, two-space indent, LF.
        { "launchSettings/web.json", "launchSettings/web.expected.json" },

        // A byte order mark, CRLF, tabs, // and /* */ comments between and inside profiles, trailing commas, a comment after the last profile.
        { "launchSettings/commented.json", "launchSettings/commented.expected.json" },

        // An `orders (mesh)` profile from an earlier run (old port, old environment) before the user's own: replaced in place.
        { "launchSettings/stale.json", "launchSettings/stale.expected.json" },
        { "launchSettings/empty-profiles.json", "launchSettings/empty-profiles.expected.json" },
        { "launchSettings/one-line.json", "launchSettings/one-line.expected.json" },
        { "launchSettings/no-profiles.json", "launchSettings/no-profiles.expected.json" },
        { null, "launchSettings/missing.expected.json" },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void The_merged_file_is_the_golden_file(string? input, string expected)
    {
        AssertGolden(expected, MergeLaunchSettings(Read(input)));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Merging_again_changes_no_byte(string? input, string expected)
    {
        _ = expected;
        var once = MergeLaunchSettings(Read(input));

        Assert.Equal(once, MergeLaunchSettings(once));
    }

    [Theory]
    [InlineData("launchSettings/web.json")]
    [InlineData("launchSettings/commented.json")]
    [InlineData("launchSettings/empty-profiles.json")]
    [InlineData("launchSettings/no-profiles.json")]
    public void A_new_profile_only_adds_bytes(string input)
    {
        var original = Read(input)!;

        Assert.True(OnlyInserted(original, MergeLaunchSettings(original)));
    }

    [Fact]
    public void The_default_profiles_ASPNETCORE_ENVIRONMENT_is_carried_over_and_only_when_it_has_one()
    {
        string Environment(string input) =>
            Encoding.UTF8.GetString(MergeLaunchSettings(Read(input)));

        Assert.Contains("\"ASPNETCORE_ENVIRONMENT\": \"Development\"", Environment("launchSettings/web.json"), StringComparison.Ordinal);
        Assert.Contains("\"ASPNETCORE_ENVIRONMENT\": \"Staging\"", Environment("launchSettings/commented.json"), StringComparison.Ordinal);

        // stale.json's default profile (http) sets none; its stale mesh profile does not count as the default.
        Assert.DoesNotContain("ASPNETCORE_ENVIRONMENT", Environment("launchSettings/stale.json"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_second_service_in_the_same_file_gets_its_own_profile_and_the_first_one_stays()
    {
        var editor = new JsoncEditor(Read("launchSettings/web.json"), LaunchSettingsFile.DefaultIndent);
        LaunchSettingsFile.Merge(editor, Manifest, Orders, OrdersOutput);
        LaunchSettingsFile.Merge(editor, Manifest, Inventory, InventoryOutput);
        var profiles = editor.Root.Member("profiles")!.Members.Select(m => m.Name);

        Assert.Equal(["http", "https", "IIS Express", "orders (mesh)", "inventory (mesh)"], profiles);
    }

    public static TheoryData<string, string> InvalidFiles => new()
    {
        {
            "{\n  \"profiles\": {\n    \"http\": {\n      \"commandName\": \"Project\"\n      \"launchBrowser\": true\n    }\n  }\n}\n",
            "5:7: not valid JSON: '\"' is invalid after a value. Expected either ',', '}', or ']'."
        },
        {
            "{\r\n\t\"profiles\": {\r\n\t\t/* \"http\": {}\r\n\t}\r\n}\r\n",
            "3:3: not valid JSON: Expected end of comment, but instead reached end of data."
        },
        {
            "{\n  \"profiles\": {\n    \"h\u00e9\": { \"commandName\": Project }\n  }\n}\n",
            "3:28: not valid JSON: 'P' is an invalid start of a value."
        },
        {
            "{ \"profiles\": {} }\n{ \"profiles\": {} }\n",
            "2:1: not valid JSON: '{' is invalid after a single JSON value. Expected end of data."
        },
        {
            "{\n  \"profiles\": {,}\n}\n",
            "2:16: not valid JSON: ',' is an invalid start of a property name. Expected a '\"'."
        },
        {
            "// only a comment\n",
            "2:1: not valid JSON: The input does not contain any JSON tokens. Expected the input to start with a valid JSON token, when isFinalBlock is true."
        },
        {
            "{\n  \"profiles\": [\n    { \"commandName\": \"Project\" }\n  ]\n}\n",
            "2:15: 'profiles' must be an object of named launch profiles"
        },
        {
            "[]\n",
            "1:1: the top level of launchSettings.json must be an object"
        },
    };

    [Theory]
    [MemberData(nameof(InvalidFiles))]
    public void A_file_that_is_not_valid_JSONC_is_refused_at_its_line_and_column(string text, string expected)
    {
        var error = Assert.Throws<JsoncException>(() => MergeLaunchSettings(Encoding.UTF8.GetBytes(text)));

        Assert.Equal($"launchSettings.json:{expected}", error.Format("launchSettings.json"));
    }
}
