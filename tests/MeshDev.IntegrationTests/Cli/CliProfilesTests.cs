using System.Text.Json;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.Cli;

/// <summary>
/// <c>meshdev profiles</c> as a developer runs it, on a small project with a hand-edited launchSettings.json: the first
/// run merges and creates, the second changes no byte, and a broken file stops the run before anything is written.
/// </summary>
public sealed class CliProfilesTests
{
    private const string Manifest = """
        services:
          orders:
            project: Orders/Orders.csproj
            port: 5182
            env: { LOG_LEVEL: debug }
          web:
            project: Web/Web.csproj       # port: auto, so an instance run from the IDE cannot be adopted
          cache:
            command: ./cache.sh
        """;

    // As a developer leaves it: comments, a trailing comma, CRLF.
    private const string LaunchSettings = "{\r\n  // mine\r\n  \"profiles\": {\r\n    \"http\": {\r\n      \"commandName\": \"Project\",\r\n      \"applicationUrl\": \"http://localhost:5062\", /* the usual */\r\n      \"environmentVariables\": { \"ASPNETCORE_ENVIRONMENT\": \"Development\" },\r\n    },\r\n  },\r\n}\r\n";

    [Fact]
    public async Task The_first_run_merges_and_creates_and_the_second_changes_nothing()
    {
        await using var cli = Project();
        var settingsPath = Path.Combine(cli.Directory, "Orders", "Properties", "launchSettings.json");
        var launchPath = Path.Combine(cli.Directory, ".vscode", "launch.json");
        var tasksPath = Path.Combine(cli.Directory, ".vscode", "tasks.json");

        var first = await cli.RunAsync("profiles");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(
            [
                "updated   Orders/Properties/launchSettings.json",
                "created   .vscode/launch.json",
                "created   .vscode/tasks.json",
                "orders: run the service from your IDE with the 'orders (mesh)' profile; the mesh adopts it on its next call",
            ],
            Lines(first.Stdout));
        var skipped = Assert.Single(Lines(first.Stderr));
        Assert.Matches(@"^meshdev: web has no fixed port \(port: auto\), so the mesh could not find and adopt an instance run from the IDE; add 'port: \d+' to it in meshdev.yaml and run meshdev profiles again; skipped\.$", skipped);

        var settings = File.ReadAllText(settingsPath);
        Assert.StartsWith(LaunchSettings[..^"    },\r\n  },\r\n}\r\n".Length], settings, StringComparison.Ordinal);
        Assert.Contains("    },\r\n    \"orders (mesh)\": {\r\n      \"commandName\": \"Project\",\r\n      \"launchBrowser\": false,\r\n      \"applicationUrl\": \"http://127.0.0.1:5182\",\r\n", settings, StringComparison.Ordinal);
        Assert.EndsWith("    },\r\n  },\r\n}\r\n", settings, StringComparison.Ordinal);

        var profile = Parse(settings).GetProperty("profiles").GetProperty("orders (mesh)").GetProperty("environmentVariables");
        Assert.Equal("Development", profile.GetProperty("ASPNETCORE_ENVIRONMENT").GetString());
        Assert.Equal("debug", profile.GetProperty("LOG_LEVEL").GetString());
        Assert.Equal("orders", profile.GetProperty("MESHDEV_SERVICE").GetString());
        Assert.Equal("5182", profile.GetProperty("PORT").GetString());
        Assert.StartsWith("http://127.0.0.1:", profile.GetProperty("services__web__http__0").GetString(), StringComparison.Ordinal);

        var configuration = Parse(File.ReadAllText(launchPath)).GetProperty("configurations").EnumerateArray().Single();
        Assert.Equal("orders (mesh)", configuration.GetProperty("name").GetString());
        Assert.Equal("build orders", configuration.GetProperty("preLaunchTask").GetString());
        Assert.Equal("${workspaceFolder}/Orders/bin/Debug/net10.0/Orders.dll", configuration.GetProperty("program").GetString());
        Assert.Equal("http://127.0.0.1:5182", configuration.GetProperty("env").GetProperty("ASPNETCORE_URLS").GetString());
        var task = Parse(File.ReadAllText(tasksPath)).GetProperty("tasks").EnumerateArray().Single();
        Assert.Equal("build orders", task.GetProperty("label").GetString());

        byte[][] before = [File.ReadAllBytes(settingsPath), File.ReadAllBytes(launchPath), File.ReadAllBytes(tasksPath)];
        var second = await cli.RunAsync("profiles");

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(
            [
                "unchanged Orders/Properties/launchSettings.json",
                "unchanged .vscode/launch.json",
                "unchanged .vscode/tasks.json",
                "orders: run the service from your IDE with the 'orders (mesh)' profile; the mesh adopts it on its next call",
            ],
            Lines(second.Stdout));
        Assert.Equal(before, [File.ReadAllBytes(settingsPath), File.ReadAllBytes(launchPath), File.ReadAllBytes(tasksPath)]);
    }

    [Fact]
    public async Task Unknown_services_and_invalid_files_fail_and_write_nothing()
    {
        await using var cli = Project();
        var settingsPath = Path.Combine(cli.Directory, "Orders", "Properties", "launchSettings.json");

        var unknown = await cli.RunAsync("profiles", "orders", "billing");

        Assert.True(unknown.ExitCode == 1, unknown.ToString());
        Assert.Equal(["meshdev: no service 'billing' in meshdev.yaml; its services are orders, web, cache"], Lines(unknown.Stderr));

        var notDotnet = await cli.RunAsync("profiles", "cache");

        Assert.True(notDotnet.ExitCode == 1, notDotnet.ToString());
        Assert.Equal(
            [
                "meshdev: cache is not a .NET service (it has no 'project:'), so there is no launch profile to write for it; skipped.",
                "meshdev: no launch profile was written; see above",
            ],
            Lines(notDotnet.Stderr));

        File.WriteAllText(settingsPath, "{\n  \"profiles\": {\n    \"http\": { \"commandName\": \"Project\" }\n    \"https\": {}\n  }\n}\n");
        var invalid = await cli.RunAsync("profiles", "orders", "--dry-run");
        var broken = await cli.RunAsync("profiles", "orders");

        Assert.True(invalid.ExitCode == 1, invalid.ToString());
        Assert.True(broken.ExitCode == 1, broken.ToString());
        Assert.Equal(
            [
                $"{settingsPath}:4:5: not valid JSON: '\"' is invalid after a value. Expected either ',', '}}', or ']'.",
                "meshdev: nothing was written; fix the file above (or move it away) and run meshdev profiles again",
            ],
            Lines(broken.Stderr));
        Assert.Equal("", broken.Stdout);
        Assert.False(Directory.Exists(Path.Combine(cli.Directory, ".vscode")));
        Assert.StartsWith("{\n  \"profiles\": {\n    \"http\"", File.ReadAllText(settingsPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Assign_ports_writes_a_fixed_port_into_the_manifest_and_then_the_profile()
    {
        await using var cli = Project();
        var manifestPath = Path.Combine(cli.Directory, "meshdev.yaml");

        var result = await cli.RunAsync("profiles", "web", "--assign-ports");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(
            [
                "updated   meshdev.yaml",
                "created   Web/Properties/launchSettings.json",
                "created   .vscode/launch.json",
                "created   .vscode/tasks.json",
                "web: run the service from your IDE with the 'web (mesh)' profile; the mesh adopts it on its next call",
            ],
            Lines(result.Stdout));
        Assert.Equal("", result.Stderr);
        var port = Assert.Single(System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(manifestPath), @"\n    port: (\d+)\n    project: Web/Web.csproj")).Groups[1].Value;
        Assert.Equal(Manifest.Replace("  web:\n", $"  web:\n    port: {port}\n", StringComparison.Ordinal), File.ReadAllText(manifestPath));
        var url = Parse(File.ReadAllText(Path.Combine(cli.Directory, "Web", "Properties", "launchSettings.json"))).GetProperty("profiles").GetProperty("web (mesh)").GetProperty("applicationUrl").GetString();
        Assert.Equal($"http://127.0.0.1:{port}", url);
        Assert.True((await cli.RunAsync("validate")).ExitCode == 0);
    }

    private static MeshdevCli Project()
    {
        var cli = new MeshdevCli();
        cli.WriteManifest(Manifest);
        foreach (var name in (string[])["Orders", "Web"])
        {
            Directory.CreateDirectory(Path.Combine(cli.Directory, name, "Properties"));
            File.WriteAllText(Path.Combine(cli.Directory, name, $"{name}.csproj"), "<Project Sdk=\"Microsoft.NET.Sdk.Web\"><PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup></Project>");
        }

        File.WriteAllText(Path.Combine(cli.Directory, "Orders", "Properties", "launchSettings.json"), LaunchSettings);
        return cli;
    }

    private static JsonElement Parse(string jsonc) =>
        JsonDocument.Parse(jsonc, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }).RootElement.Clone();

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
