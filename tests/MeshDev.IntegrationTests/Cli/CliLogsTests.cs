using System.Text.Json;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.Cli;

/// <summary>
/// <c>meshdev logs</c>: through the daemon while a mesh runs (<c>--since</c>, <c>--tail</c>, <c>--timestamps</c>,
/// <c>--json</c>, <c>-f</c>), and from the log file when none runs. The log file keeps a UTC timestamp per line.
/// </summary>
public sealed class CliLogsTests
{
    // Lines of an earlier run, at known times, so the selections below have exact answers.
    private static readonly string[] EarlierRun =
    [
        "2021-03-04T05:06:01.000000Z first line",
        "2021-03-04T05:06:02.000000Z second line",
        "a line from before timestamps were kept",
        "2021-03-04T05:06:03.500000Z third line",
    ];

    [Fact]
    public async Task Logs_selects_by_since_and_tail_prints_timestamps_or_json_and_follows_new_lines()
    {
        await using var cli = new MeshdevCli();
        var manifest = new ManifestBuilder(cli.Tag).Service("front");
        manifest.WriteTo(cli.Directory);
        var logFile = Path.Combine(cli.StateDirectory, "logs", "front.log");
        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        await File.WriteAllLinesAsync(logFile, EarlierRun);
        await cli.RunOkAsync("up", "--detach");

        Assert.Equal(
            "first line\nsecond line\na line from before timestamps were kept\nthird line\n",
            (await cli.RunOkAsync("logs", "front")).Stdout);
        // A line without its own time keeps the one of the line before it.
        Assert.Equal(
            """
            2021-03-04T05:06:01.000000Z first line
            2021-03-04T05:06:02.000000Z second line
            2021-03-04T05:06:02.000000Z a line from before timestamps were kept
            2021-03-04T05:06:03.500000Z third line

            """,
            (await cli.RunOkAsync("logs", "front", "--timestamps")).Stdout);
        Assert.Equal(
            "second line\na line from before timestamps were kept\nthird line\n",
            (await cli.RunOkAsync("logs", "front", "--since", "2021-03-04T05:06:02Z")).Stdout);
        Assert.Equal("third line\n", (await cli.RunOkAsync("logs", "front", "--tail", "1")).Stdout);
        Assert.Equal("", (await cli.RunOkAsync("logs", "front", "--since", "10m")).Stdout);

        var json = (await cli.RunOkAsync("logs", "front", "--json", "--tail", "2")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(2, json.Length);
        Assert.Equal(["a line from before timestamps were kept", "third line"], json.Select(j => j.GetProperty("line").GetString()));
        Assert.All(json, j => Assert.Equal("front", j.GetProperty("service").GetString()));
        Assert.Equal(["2021-03-04T05:06:02.000000Z", "2021-03-04T05:06:03.500000Z"], json.Select(j => j.GetProperty("time").GetString()));

        // New lines get the time the mesh read them.
        var started = DateTimeOffset.UtcNow;
        await cli.RunOkAsync("start", "front");
        var recent = (await cli.RunOkAsync("logs", "front", "--since", "10m", "--timestamps")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var listening = Assert.Single(recent, l => l.Contains("listening on http://127.0.0.1:", StringComparison.Ordinal));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z listening on ", listening);
        Assert.InRange(DateTimeOffset.Parse(listening[..27], System.Globalization.CultureInfo.InvariantCulture), started.AddSeconds(-5), DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.DoesNotContain(recent, l => l.Contains("third line", StringComparison.Ordinal));

        // -f: the past lines (once the last one is read, the daemon has this follower), then the new ones as they come.
        await using (var follow = cli.Start("logs", "front", "-f"))
        {
            await follow.ReadUntilAsync(l => l.StartsWith("listening on ", StringComparison.Ordinal), "the past lines");
            await cli.RunOkAsync("stop", "front");
            await follow.ReadUntilAsync(l => l == "stopping", "the line front writes when it stops");
        }

        var unknown = await cli.RunAsync("logs", "nosuch");
        Assert.True(unknown.ExitCode == 1, unknown.ToString());
        Assert.Contains("no service 'nosuch'", unknown.Stderr);

        // Without a mesh: the same selections, from the file.
        await cli.RunOkAsync("down");
        var file = (await cli.RunOkAsync("logs", "front", "--since", "2021-03-04T05:06:03Z", "--tail", "100", "--timestamps")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("2021-03-04T05:06:03.500000Z third line", file[0]);
        Assert.Contains(file, l => l.EndsWith(" stopping", StringComparison.Ordinal));
        Assert.Equal("stopping\n", (await cli.RunOkAsync("logs", "front", "--tail", "1")).Stdout);

        var none = await cli.RunAsync("logs", "nosuch");
        Assert.True(none.ExitCode == 1, none.ToString());
        Assert.Contains("no service 'nosuch' in ", none.Stderr);

        var badSince = await cli.RunAsync("logs", "front", "--since", "yesterday");
        Assert.True(badSince.ExitCode == 1, badSince.ToString());
        Assert.Contains("--since: 'yesterday'", badSince.Stderr);
    }

    [Fact]
    public async Task Logs_without_a_service_interleaves_every_services_lines_by_time_each_after_its_name()
    {
        await using var cli = new MeshdevCli();
        new ManifestBuilder(cli.Tag).Service("front").Service("worker").Service("idle").WriteTo(cli.Directory);
        var logs = Path.Combine(cli.StateDirectory, "logs");
        Directory.CreateDirectory(logs);
        // f2 and f3 were read from front's output at once: one time for both, as the mesh stamps one read.
        await File.WriteAllLinesAsync(Path.Combine(logs, "front.log"), ["2021-03-04T05:06:01.000000Z f1", "2021-03-04T05:06:03.000000Z f2", "2021-03-04T05:06:03.000000Z f3"]);
        await File.WriteAllLinesAsync(Path.Combine(logs, "worker.log"), ["2021-03-04T05:06:02.000000Z w1", "2021-03-04T05:06:03.000000Z w2"]);
        string[] interleaved = ["front  | f1", "worker | w1", "front  | f2", "front  | f3", "worker | w2"];
        await cli.RunOkAsync("up", "--detach");

        Assert.Equal(interleaved, Lines((await cli.RunOkAsync("logs")).Stdout));
        Assert.Equal(
            ["worker | 2021-03-04T05:06:03.000000Z w2", "front  | 2021-03-04T05:06:03.000000Z f3"],
            Lines((await cli.RunOkAsync("logs", "worker", "front", "--tail", "1", "-t")).Stdout));
        var json = Lines((await cli.RunOkAsync("logs", "--json")).Stdout).Select(l => JsonDocument.Parse(l).RootElement);
        Assert.Equal(["front", "worker", "front", "front", "worker"], json.Select(j => j.GetProperty("service").GetString()));

        // -f: the past lines once (--tail per service), then new lines of any service as they come.
        await using var all = cli.Start("logs", "-f");
        await using var last = cli.Start("logs", "-f", "--tail", "1");
        await using var none = cli.Start("logs", "-f", "--tail", "0");
        Assert.Equal(interleaved, await all.ReadUntilAsync(l => l == "worker | w2", "the past lines"));
        Assert.Equal(["front  | f3", "worker | w2"], await last.ReadUntilAsync(l => l == "worker | w2", "the last line of each"));
        await cli.RunOkAsync("start", "idle");
        foreach (var follower in new[] { all, last, none })
        {
            var next = await follower.ReadUntilAsync(l => l.StartsWith("idle   | listening on ", StringComparison.Ordinal), "idle's first lines");
            Assert.All(next, l => Assert.StartsWith("idle   | ", l));
        }

        await cli.RunOkAsync("down");
        Assert.Equal(0, await all.ExitCodeAsync());

        // Without a mesh: the files it left, idle's too now.
        var fromFiles = Lines((await cli.RunOkAsync("logs")).Stdout);
        Assert.Equal(interleaved, fromFiles[..5]);
        Assert.Contains(fromFiles, l => l.StartsWith("idle   | listening on ", StringComparison.Ordinal));
    }

    private static string[] Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task Logs_with_f_and_a_manifest_says_that_f_is_follow_and_gives_the_command_with_file()
    {
        await using var cli = new MeshdevCli();

        var result = await cli.RunAsync("logs", "orders", "-f", "samples/shop/meshdev.yaml", "--tail", "5");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(
            "meshdev: for 'logs', -f is --follow (as in docker logs); name the manifest with --file: meshdev logs orders --file samples/shop/meshdev.yaml --tail 5\n",
            result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Logs_with_f_and_a_manifests_folder_says_that_f_is_follow_and_gives_the_command_with_file()
    {
        // The README names a manifest by its folder: -f samples/shop.
        await using var cli = new MeshdevCli();
        var folder = Directory.CreateDirectory(Path.Combine(cli.Directory, "samples", "shop")).FullName;
        new ManifestBuilder(cli.Tag).Service("orders").WriteTo(folder);

        var result = await cli.RunAsync("logs", "orders", "-f", "samples/shop");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(
            "meshdev: for 'logs', -f is --follow (as in docker logs); name the manifest with --file: meshdev logs orders --file samples/shop\n",
            result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Logs_of_a_name_not_in_the_manifest_without_a_mesh_names_the_known_services()
    {
        await using var cli = new MeshdevCli();
        var path = new ManifestBuilder(cli.Tag).Service("orders").Service("billing").WriteTo(cli.Directory);

        var typo = await cli.RunAsync("logs", "ordres");
        var notYet = await cli.RunAsync("logs", "orders");

        Assert.True(typo.ExitCode == 1, typo.ToString());
        Assert.Equal($"meshdev: no service 'ordres' in {path}; known services: orders, billing\n", typo.Stderr);
        Assert.True(notYet.ExitCode == 1, notYet.ToString());
        Assert.StartsWith("meshdev: no log for service 'orders' yet", notYet.Stderr, StringComparison.Ordinal);
    }
}
