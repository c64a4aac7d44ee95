using System.Text;
using MeshDev.Authoring.Profiles;
using static MeshDev.Authoring.Tests.Profiles.ProfileFixture;

namespace MeshDev.Authoring.Tests.Profiles;

/// <summary>
/// The <c>{svc} (mesh)</c> launch configurations and <c>build {svc}</c> tasks of orders and inventory merged into
/// .vscode/launch.json and tasks.json, each checked against its golden file, and merged again without a change.
/// </summary>
public sealed class VsCodeMergeTests
{
    public static TheoryData<string?, string> LaunchFiles => new()
    {
        // As VS Code creates it (four spaces, its comment header) with a C# and a Node configuration, and compounds after.
        { "vscode/typical.launch.json", "vscode/typical.launch.expected.json" },

        // inventory (mesh) from an earlier run (net8.0 path, missing fields) is replaced; orders (mesh) goes after a commented-out block, trailing comma kept.
        { "vscode/stale.launch.json", "vscode/stale.launch.expected.json" },
        { null, "vscode/missing.launch.expected.json" },
    };

    public static TheoryData<string?, string> TaskFiles => new()
    {
        // As `dotnet` tooling in VS Code creates it: tabs, CRLF, a build and a watch task.
        { "vscode/typical.tasks.json", "vscode/typical.tasks.expected.json" },

        // No version (VS Code refuses that) and no tasks yet.
        { "vscode/no-version.tasks.json", "vscode/no-version.tasks.expected.json" },
        { null, "vscode/missing.tasks.expected.json" },
    };

    [Theory]
    [MemberData(nameof(LaunchFiles))]
    public void The_merged_launch_json_is_the_golden_file(string? input, string expected)
    {
        AssertGolden(expected, MergeLaunch(Read(input)));
    }

    [Theory]
    [MemberData(nameof(LaunchFiles))]
    public void Merging_launch_json_again_changes_no_byte(string? input, string expected)
    {
        _ = expected;
        var once = MergeLaunch(Read(input));

        Assert.Equal(once, MergeLaunch(once));
    }

    [Theory]
    [MemberData(nameof(TaskFiles))]
    public void The_merged_tasks_json_is_the_golden_file(string? input, string expected)
    {
        AssertGolden(expected, MergeTasks(Read(input)));
    }

    [Theory]
    [MemberData(nameof(TaskFiles))]
    public void Merging_tasks_json_again_changes_no_byte(string? input, string expected)
    {
        _ = expected;
        var once = MergeTasks(Read(input));

        Assert.Equal(once, MergeTasks(once));
    }

    [Theory]
    [InlineData("vscode/typical.launch.json")]
    public void New_configurations_only_add_bytes(string input)
    {
        var original = Read(input)!;

        Assert.True(OnlyInserted(original, MergeLaunch(original)));
    }

    [Theory]
    [InlineData("vscode/typical.tasks.json")]
    [InlineData("vscode/no-version.tasks.json")]
    public void New_tasks_only_add_bytes(string input)
    {
        var original = Read(input)!;

        Assert.True(OnlyInserted(original, MergeTasks(original)));
    }

    [Fact]
    public void A_project_outside_the_workspace_is_named_by_its_absolute_path()
    {
        var outside = MeshLaunchProfile.Create(Manifest, Orders with { Project = "/src/elsewhere/Orders/Orders.csproj" }, null, OrdersOutput);

        var json = VsCodeLaunchFile.ToJson(outside, Workspace);

        Assert.Equal("/src/elsewhere/Orders/bin/Debug/net10.0/Orders.dll", (string?)json["program"]);
        Assert.Equal("/src/elsewhere/Orders", (string?)json["cwd"]);
    }

    [Theory]
    [InlineData("{\n    \"configurations\": {}\n}\n", "launch.json:2:23: 'configurations' must be an array")]
    [InlineData("{\n    \"version\": \"0.2.0\",\n    \"configurations\": [\n        { \"name\": \"x\" }\n        { \"name\": \"y\" }\n    ]\n}\n", "launch.json:5:9: not valid JSON: '{' is invalid after a value. Expected either ',', '}', or ']'.")]
    [InlineData("\"configurations\"\n", "launch.json:1:1: the top level of launch.json must be an object")]
    public void An_invalid_launch_json_is_refused_at_its_line_and_column(string text, string expected)
    {
        var error = Assert.Throws<JsoncException>(() => MergeLaunch(Encoding.UTF8.GetBytes(text)));

        Assert.Equal(expected, error.Format("launch.json"));
    }

    [Theory]
    [InlineData("{\n  \"version\": \"2.0.0\",\n  \"tasks\": null\n}\n", "tasks.json:3:12: 'tasks' must be an array")]
    [InlineData("{\n  \"version\": \"2.0.0\",\n  \"tasks\": [\n    { \"label\": \"build\", }\n    /* unfinished\n  ]\n}\n", "tasks.json:5:5: not valid JSON: Expected end of comment, but instead reached end of data.")]
    public void An_invalid_tasks_json_is_refused_at_its_line_and_column(string text, string expected)
    {
        var error = Assert.Throws<JsoncException>(() => MergeTasks(Encoding.UTF8.GetBytes(text)));

        Assert.Equal(expected, error.Format("tasks.json"));
    }

    private static byte[] MergeLaunch(byte[]? file)
    {
        var editor = new JsoncEditor(file, VsCodeLaunchFile.DefaultIndent);
        VsCodeLaunchFile.Merge(editor, BothProfiles(), Workspace);
        return editor.ToBytes();
    }

    private static byte[] MergeTasks(byte[]? file)
    {
        var editor = new JsoncEditor(file, VsCodeLaunchFile.DefaultIndent);
        VsCodeTasksFile.Merge(editor, BothProfiles(), Workspace);
        return editor.ToBytes();
    }
}
