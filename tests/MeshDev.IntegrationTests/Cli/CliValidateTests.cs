using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.Cli;

/// <summary><c>meshdev validate</c> as a developer runs it: a real process, exit codes and messages an editor can jump to.</summary>
public sealed class CliValidateTests
{
    [Fact]
    public async Task Validate_on_an_invalid_manifest_exits_2_and_names_file_line_column_and_field()
    {
        await using var cli = new MeshdevCli();
        var path = cli.WriteManifest("""
            mesh:
              http: 15000
            services:
              orders:
                command: dotnet
                idleTimeout: soon
            """);

        var result = await cli.RunAsync("validate", "-f", path);

        Assert.True(result.ExitCode == 2, result.ToString());
        // Line 6, column 18: the value of idleTimeout.
        var line = result.Stderr.Split('\n').FirstOrDefault(l => l.StartsWith($"{path}:6:", StringComparison.Ordinal));
        Assert.True(line is not null, $"no {path}:6:COL: line in stderr: {result.Stderr}");
        Assert.Matches($@"^{System.Text.RegularExpressions.Regex.Escape(path)}:6:\d+: ", line);
        Assert.Contains("idleTimeout", line);
        Assert.False(Directory.Exists(cli.StateDirectory), "validate must not create the mesh's state directory");
    }

    [Fact]
    public async Task A_folder_given_to_f_means_the_meshdev_yaml_in_it()
    {
        await using var cli = new MeshdevCli();
        var folder = Path.Combine(cli.Directory, "shop");
        Directory.CreateDirectory(folder);
        var path = new ManifestBuilder(cli.Tag).Service("orders").WriteTo(folder);

        var validate = await cli.RunAsync("validate", "-f", "shop");
        var status = await cli.RunAsync("status", "--file", "shop/");

        Assert.True(validate.ExitCode == 0, validate.ToString());
        Assert.StartsWith($"{path}: valid, 1 service", validate.Stdout, StringComparison.Ordinal);
        Assert.True(status.ExitCode == 1, status.ToString());
        Assert.Equal($"meshdev: no mesh is running for {path} (start one with 'meshdev up')\n", status.Stderr);
    }

    [Fact]
    public async Task Validate_on_a_valid_manifest_exits_0_and_lists_the_services()
    {
        await using var cli = new MeshdevCli();
        var manifest = new ManifestBuilder(cli.Tag).Service("orders").Service("billing");
        var path = manifest.WriteTo(cli.Directory);

        var result = await cli.RunAsync("validate", "-f", path);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("valid, 2 services", result.Stdout);
        Assert.Contains($"mesh port {manifest.MeshPorts["orders"]}", result.Stdout);
    }

    [Fact]
    public async Task Without_f_a_verb_run_in_a_project_folder_uses_the_manifest_of_the_folder_above()
    {
        await using var cli = new MeshdevCli();
        var path = new ManifestBuilder(cli.Tag).Service("orders").WriteTo(cli.Directory);
        cli.WorkingDirectory = System.IO.Directory.CreateDirectory(Path.Combine(cli.Directory, "Orders", "Properties")).FullName;

        var validate = await cli.RunAsync("validate");
        var status = await cli.RunAsync("status");

        Assert.True(validate.ExitCode == 0, validate.ToString());
        Assert.StartsWith($"{path}: valid, 1 service", validate.Stdout, StringComparison.Ordinal);
        // The mesh it looks for is the one of that manifest, not of a meshdev.yaml in the project's folder.
        Assert.Contains($"no mesh is running for {path} ", status.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_manifest_in_the_folder_itself_wins_over_one_above()
    {
        await using var cli = new MeshdevCli();
        new ManifestBuilder(cli.Tag).Service("orders").WriteTo(cli.Directory);
        var folder = System.IO.Directory.CreateDirectory(Path.Combine(cli.Directory, "Orders")).FullName;
        var nearest = new ManifestBuilder(cli.Tag).Service("billing").Service("ledger").WriteTo(folder);
        cli.WorkingDirectory = folder;

        var result = await cli.RunAsync("validate");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith($"{nearest}: valid, 2 services", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_json_lists_the_services_or_every_problem()
    {
        await using var cli = new MeshdevCli();
        var manifest = new ManifestBuilder(cli.Tag).Service("orders");
        var path = manifest.WriteTo(cli.Directory);
        var bad = cli.WriteManifest("services:\n  orders:\n    command: dotnet\n    idleTimeout: soon\n", "bad.yaml");

        var valid = await cli.RunAsync("validate", "--json", "-f", path);
        var invalid = await cli.RunAsync("validate", "--json", "-f", bad);

        Assert.True(valid.ExitCode == 0, valid.ToString());
        var report = System.Text.Json.JsonDocument.Parse(valid.Stdout).RootElement;
        Assert.True(report.GetProperty("valid").GetBoolean());
        var service = Assert.Single(report.GetProperty("services").EnumerateArray());
        Assert.Equal("orders", service.GetProperty("name").GetString());
        Assert.Equal(manifest.MeshPorts["orders"], service.GetProperty("meshPort").GetInt32());

        Assert.True(invalid.ExitCode == 2, invalid.ToString());
        var problems = System.Text.Json.JsonDocument.Parse(invalid.Stdout).RootElement;
        Assert.False(problems.GetProperty("valid").GetBoolean());
        var problem = Assert.Single(problems.GetProperty("problems").EnumerateArray());
        Assert.Equal(bad, problem.GetProperty("file").GetString());
        Assert.Equal(4, problem.GetProperty("line").GetInt32());
        Assert.Contains("idleTimeout", problem.GetProperty("message").GetString());
    }
    /// <summary>Each row: hostile or broken YAML that used to crash the CLI (a stack trace, exit 1) or run for minutes, and where it is reported.</summary>
    public static TheoryData<string, string> HostileManifests => new()
    {
        {
            "x-lol:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                + string.Concat(Enumerable.Range(1, 8).Select(i => $"  a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]\n"))
                + "services:\n  orders:\n    command: ./orders\n    args: *a8\n",
            ":7:"
        },
        { "services:\n  orders: " + new string('[', 100_000) + "\n", ":2:" },
        { "services: : :\n  orders: {command: x, env: {A: 1\n", ":1:" },
        { "services:\n  orders:\n    command: ./orders\n    args: [a, b\n    port: 5\n", ":4:" },
    };

    [Theory]
    [MemberData(nameof(HostileManifests))]
    public async Task Validate_up_and_routes_envoy_exit_2_with_a_located_sentence_on_hostile_yaml(string yaml, string line)
    {
        await using var cli = new MeshdevCli();
        var path = cli.WriteManifest(yaml);

        foreach (var verb in new[] { new[] { "validate" }, ["up"], ["routes", "--envoy"] })
        {
            var result = await cli.RunAsync([.. verb, "-f", path]);

            Assert.True(result.ExitCode == 2, $"{string.Join(' ', verb)}: {result}");
            Assert.StartsWith(path + line, result.Stderr);
            Assert.DoesNotContain("exception", result.Stderr, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("   at ", result.Stderr);
        }

        Assert.False(Directory.Exists(cli.StateDirectory), "nothing may be started for an invalid manifest");
    }

    [Fact]
    public async Task Validate_accepts_an_alias_shared_between_services()
    {
        await using var cli = new MeshdevCli();
        var path = cli.WriteManifest("services:\n  orders:\n    command: ./orders\n    env: &common { A: \"1\" }\n  billing:\n    command: ./billing\n    env: *common\n");

        var result = await cli.RunAsync("validate", "-f", path);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("valid, 2 services", result.Stdout);
    }
}
