using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using MeshDev.Catalog;
using MeshDev.IntegrationTests.GrpcTests.Infrastructure;
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
        Assert.Collection(
            Lines(first.Stderr),
            skipped => Assert.Matches(@"^meshdev: web has no fixed port \(port: auto\), so the mesh could not find and adopt an instance run from the IDE; skipped: --assign-ports writes 'port: \d+' for it into meshdev.yaml \(or add that line yourself\)\.$", skipped),
            hint => Assert.Equal("meshdev: to give web a port and a profile too, run meshdev profiles --assign-ports", hint));

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
        var port = Assert.Single(Regex.Matches(File.ReadAllText(manifestPath), @"\n    port: (\d+)\n    project: Web/Web.csproj")).Groups[1].Value;
        Assert.Equal(Manifest.Replace("  web:\n", $"  web:\n    port: {port}\n", StringComparison.Ordinal), File.ReadAllText(manifestPath));
        var url = Parse(File.ReadAllText(Path.Combine(cli.Directory, "Web", "Properties", "launchSettings.json"))).GetProperty("profiles").GetProperty("web (mesh)").GetProperty("applicationUrl").GetString();
        Assert.Equal($"http://127.0.0.1:{port}", url);
        Assert.True((await cli.RunAsync("validate")).ExitCode == 0);
    }

    [Fact]
    public async Task On_the_shipped_sample_the_message_names_the_command_and_the_ports_it_then_writes()
    {
        // The sample as shipped: every service has port: auto. A copy, run from its parent folder with -f.
        await using var cli = new MeshdevCli();
        var sample = Path.Combine(GrpcTestPaths.RepositoryRoot, "samples", "shop");
        var shop = Path.Combine(cli.Directory, "shop");
        foreach (var file in Directory.GetFiles(sample, "*.csproj", SearchOption.AllDirectories).Append(Path.Combine(sample, "meshdev.yaml")))
        {
            var copy = Path.Combine(shop, Path.GetRelativePath(sample, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        var first = await cli.RunAsync("profiles", "-f", "shop/meshdev.yaml");

        Assert.True(first.ExitCode == 1, first.ToString());
        Assert.Equal("", first.Stdout);
        var stderr = Lines(first.Stderr);
        var suggested = new List<(string Name, int Port)>();
        foreach (var line in stderr[..^1])
        {
            var match = Regex.Match(line, @"^meshdev: (\w+) has no fixed port \(port: auto\), .*; skipped: --assign-ports writes 'port: (\d+)' for it into meshdev.yaml");
            Assert.True(match.Success, first.ToString());
            suggested.Add((match.Groups[1].Value, int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture)));
        }

        Assert.Equal(["frontend", "orders", "inventory", "pricing"], suggested.Select(s => s.Name));
        Assert.Equal(
            "meshdev: no launch profile was written; run meshdev profiles -f shop/meshdev.yaml --assign-ports to write the ports above into meshdev.yaml and the profiles",
            stderr[^1]);

        // A dry run suggests a dry run, which writes nothing: it says "see", not "write".
        var dry = await cli.RunAsync("profiles", "-f", "shop/meshdev.yaml", "--dry-run");
        Assert.Equal(
            "meshdev: no launch profile was written; run meshdev profiles -f shop/meshdev.yaml --assign-ports --dry-run to see the ports above written into meshdev.yaml and the profiles",
            Lines(dry.Stderr)[^1]);

        // Run exactly what it said.
        var command = Regex.Match(stderr[^1], "run meshdev (.+ --assign-ports) to write").Groups[1].Value.Split(' ');
        var second = await cli.RunAsync(command);

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal("", second.Stderr);
        var manifest = ManifestLoader.Load(Path.Combine(shop, "meshdev.yaml"));
        foreach (var (name, port) in suggested)
        {
            Assert.Equal(port, manifest.Find(name)!.Port);
            var settings = Path.Combine(Path.GetDirectoryName(manifest.Find(name)!.Project!)!, "Properties", "launchSettings.json");
            var url = Parse(File.ReadAllText(settings)).GetProperty("profiles").GetProperty($"{name} (mesh)").GetProperty("applicationUrl").GetString();
            Assert.Equal($"http://127.0.0.1:{port}", url);
        }
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
