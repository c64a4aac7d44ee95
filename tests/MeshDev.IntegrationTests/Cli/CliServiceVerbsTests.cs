using System.Text.RegularExpressions;
using MeshDev.IntegrationTests.Infrastructure;
using MeshDev.Testing;

namespace MeshDev.IntegrationTests.Cli;

/// <summary><c>meshdev start SVC</c> / <c>stop SVC</c>: each waits, then prints the state it left the service in.</summary>
public sealed class CliServiceVerbsTests
{
    [Fact]
    public async Task Start_and_stop_print_the_resulting_state_and_a_failed_launch_its_cause_and_log_tail()
    {
        await using var cli = new MeshdevCli();
        var manifest = new ManifestBuilder(cli.Tag)
            .Service("front")
            .Service("broken", flags: ["--exit-at-once", "3"]);
        manifest.WriteTo(cli.Directory);
        await cli.RunOkAsync("up", "--detach");
        var meshPort = manifest.MeshPorts["front"];

        var start = await cli.RunOkAsync("start", "front");
        Assert.Matches(new Regex($@"^front: ready at 127\.0\.0\.1:\d+ \(mesh port {meshPort}, launches 1\)\n$"), start.Stdout);
        Assert.Equal("ready", MeshdevCli.ServiceIn(await cli.StatusAsync(), "front").GetProperty("state").GetString());

        var again = await cli.RunOkAsync("start", "front");
        Assert.Equal(start.Stdout, again.Stdout);

        var stop = await cli.RunOkAsync("stop", "front");
        Assert.Equal($"front: stopped (mesh port {meshPort}, launches 1)\n", stop.Stdout);

        var failed = await cli.RunAsync("start", "broken");
        Assert.True(failed.ExitCode == 1, failed.ToString());
        Assert.Equal("", failed.Stdout);
        var stderr = failed.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("meshdev: service 'broken' could not be launched: ", stderr[0]);
        Assert.Contains("code 3", stderr[0]);
        Assert.Contains("broken | fatal: config missing", stderr);
        Assert.Contains("broken | giving up", stderr);

        var unknown = await cli.RunAsync("start", "nosuch");
        Assert.True(unknown.ExitCode == 1, unknown.ToString());
        Assert.Contains("no service 'nosuch'", unknown.Stderr);
        Assert.Contains("known services: front, broken", unknown.Stderr);
    }

    [Fact]
    public async Task Stop_of_an_instance_the_mesh_did_not_launch_says_it_was_not_stopped()
    {
        await using var cli = new MeshdevCli();
        new ManifestBuilder(cli.Tag)
            .Generated("services:\n  legacy:\n    runtime: remote\n    url: http://127.0.0.1:9\n", new Dictionary<string, int>())
            .WriteTo(cli.Directory);
        await cli.RunOkAsync("up", "--detach");
        await cli.RunOkAsync("start", "legacy");

        var stop = await cli.RunAsync("stop", "legacy");

        Assert.True(stop.ExitCode == 1, stop.ToString());
        Assert.StartsWith("legacy: external at 127.0.0.1:9 ", stop.Stdout);
        Assert.Equal(
            "meshdev: legacy was not stopped: it is external, an instance the mesh did not launch (run from your IDE, or a remote upstream) at 127.0.0.1:9; stop it where it runs\n",
            stop.Stderr);
        Assert.Equal("external", MeshdevCli.ServiceIn(await cli.StatusAsync(), "legacy").GetProperty("state").GetString());
    }

    [Fact]
    public async Task Stop_hold_says_calls_wait_for_your_instance_and_refuses_a_service_without_a_fixed_port()
    {
        await using var cli = new MeshdevCli();
        var manifest = new ManifestBuilder(cli.Tag).Service("orders", port: TestPorts.Free()).Service("auto");
        manifest.WriteTo(cli.Directory);
        await cli.RunOkAsync("up", "--detach");

        var held = await cli.RunOkAsync("stop", "orders", "--hold");
        var refused = await cli.RunAsync("stop", "auto", "--hold");

        Assert.Contains("orders: held for an instance you start: calls wait for one on its port (up to its startTimeout) instead of launching; 'meshdev start orders' lets the mesh launch it again", held.Stdout);
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("auto cannot be held for an instance you start: only a fixed 'port:' on this machine says where to find it; run 'meshdev profiles --assign-ports auto'", refused.Stderr);
    }

    [Fact]
    public async Task Status_shows_a_held_service_as_held_in_the_table_and_json_until_start()
    {
        await using var cli = new MeshdevCli();
        var manifest = new ManifestBuilder(cli.Tag).Service("orders", port: TestPorts.Free()).Service("front");
        manifest.WriteTo(cli.Directory);
        await cli.RunOkAsync("up", "--detach");

        await cli.RunOkAsync("stop", "orders", "--hold");
        var table = (await cli.RunOkAsync("status")).Stdout;
        var json = await cli.StatusAsync();

        Assert.Equal(["orders held", "front stopped"], StateColumn(table));
        var orders = MeshdevCli.ServiceIn(json, "orders");
        // The lifecycle state stays what it is; 'held' is said beside it, so scripts matching states keep working.
        Assert.Equal("stopped", orders.GetProperty("state").GetString());
        Assert.True(orders.GetProperty("held").GetBoolean());
        Assert.False(MeshdevCli.ServiceIn(json, "front").GetProperty("held").GetBoolean());

        await cli.RunOkAsync("start", "orders");

        Assert.Equal(["orders ready", "front stopped"], StateColumn((await cli.RunOkAsync("status")).Stdout));
        Assert.False(MeshdevCli.ServiceIn(await cli.StatusAsync(), "orders").GetProperty("held").GetBoolean());
    }

    /// <summary>NAME and STATE of each row of the status table (below its mesh line and header).</summary>
    private static string[] StateColumn(string table) =>
        [.. table.Split('\n', StringSplitOptions.RemoveEmptyEntries)[2..].Select(line => Regex.Split(line, @"\s{2,}") is var cells ? $"{cells[0]} {cells[2]}" : "")];

    [Fact]
    public async Task Verbs_that_need_a_mesh_say_so_in_one_sentence_when_none_runs()
    {
        await using var cli = new MeshdevCli();
        new ManifestBuilder(cli.Tag).Service("front").WriteTo(cli.Directory);

        foreach (var args in new[] { ["status"], ["status", "--watch"], ["start", "front"], ["stop", "front"], ["events"], new[] { "routes" } })
        {
            var result = await cli.RunAsync(args);
            Assert.True(result.ExitCode == 1, $"meshdev {string.Join(' ', args)}: {result}");
            Assert.Equal($"meshdev: no mesh is running for {Path.Combine(cli.Directory, "meshdev.yaml")} (start one with 'meshdev up')\n", result.Stderr);
        }
    }

    [Fact]
    public async Task Verbs_run_where_there_is_no_manifest_name_the_running_mesh_to_pass_with_f()
    {
        // The README's first command: 'up -f samples/shop/meshdev.yaml' from the checkout's root; then 'status' there.
        await using var cli = new MeshdevCli();
        Directory.CreateDirectory(Path.Combine(cli.Directory, "samples", "shop"));
        cli.WriteManifest(new ManifestBuilder(cli.Tag).Service("front").ToYaml(), Path.Combine("samples", "shop", "meshdev.yaml"));
        var missing = Path.Combine(cli.Directory, "meshdev.yaml");

        var before = await cli.RunAsync("status");
        Assert.True(before.ExitCode == 1, before.ToString());
        Assert.Equal($"meshdev: there is no manifest at {missing}, and no mesh runs for one: run meshdev in the manifest's folder or pass -f FILE\n", before.Stderr);

        await cli.RunOkAsync("up", "--detach", "-f", "samples/shop/meshdev.yaml");
        try
        {
            foreach (var args in new[] { ["status"], ["events"], ["graph"], ["dashboard", "--no-open"], ["start", "front"], ["logs", "front"], new[] { "down" } })
            {
                var result = await cli.RunAsync(args);
                Assert.True(result.ExitCode == 1, $"meshdev {string.Join(' ', args)}: {result}");
                // For logs, -f is --follow: the manifest is named with --file.
                var option = args[0] == "logs" ? "--file" : "-f";
                Assert.Equal($"meshdev: there is no manifest at {missing}; a mesh is running for samples/shop/meshdev.yaml: pass {option} samples/shop/meshdev.yaml\n", result.Stderr);
            }

            // The folder, as every other verb takes it after -f.
            var folder = await cli.RunAsync("logs", "front", "-f", "samples/shop");
            Assert.True(folder.ExitCode == 1, folder.ToString());
            Assert.Equal("meshdev: for 'logs', -f is --follow (as in docker logs); name the manifest with --file: meshdev logs front --file samples/shop\n", folder.Stderr);

            Assert.Contains("front", (await cli.RunOkAsync("status", "-f", "samples/shop/meshdev.yaml")).Stdout);
        }
        finally
        {
            await cli.RunOkAsync("down", "-f", "samples/shop/meshdev.yaml");
        }
    }
}
