using System.Text.Json;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.Cli;

/// <summary>
/// <c>meshdev up --detach</c> / <c>status</c> / <c>down</c> end to end: the CLI, its detached daemon and the services
/// are all real processes; afterwards not one process of the test may be left.
/// </summary>
public sealed class CliDaemonTests
{
    private static ManifestBuilder Manifest(MeshdevCli cli) => new ManifestBuilder(cli.Tag)
        .Service("front")
        .Service("worker", flags: ["--spawn-child", "--ignore-sigterm"], extra: ["stopGracePeriod: 1s"]);

    [Fact]
    public async Task Up_detach_status_and_down_leave_no_process_behind()
    {
        await using var cli = new MeshdevCli();
        var manifest = Manifest(cli);
        manifest.WriteTo(cli.Directory);

        var up = await cli.RunOkAsync("up", "--detach");
        Assert.Contains("mesh up", up.Stdout);
        var daemonPid = cli.DaemonPid();
        Assert.Contains(cli.FindTaggedProcesses(), p => p.Pid == daemonPid);

        var before = await cli.StatusAsync();
        Assert.Equal(["front", "worker"], before.GetProperty("services").EnumerateArray().Select(s => s.GetProperty("name").GetString()).Order());
        Assert.All(before.GetProperty("services").EnumerateArray(), s => Assert.Equal("stopped", s.GetProperty("state").GetString()));

        // One request: front is launched for it, and front's own call launches worker.
        using var http = TestMesh.NewHttpClient();
        var workerUrl = $"http://127.0.0.1:{manifest.MeshPorts["worker"]}/whoami";
        var answer = await http.GetStringAsync($"http://127.0.0.1:{manifest.MeshPorts["front"]}/call?url={Uri.EscapeDataString(workerUrl)}");
        var worker = JsonDocument.Parse(answer).RootElement;
        Assert.Equal("worker", worker.GetProperty("name").GetString());
        var workerPid = worker.GetProperty("pid").GetInt32();
        var childPid = worker.GetProperty("childPid").GetInt32();

        var after = await cli.StatusAsync();
        foreach (var name in new[] { "front", "worker" })
        {
            var service = MeshdevCli.ServiceIn(after, name);
            Assert.Equal("ready", service.GetProperty("state").GetString());
            Assert.Equal(1, service.GetProperty("launches").GetInt32());
        }

        var running = cli.FindTaggedProcesses().Select(p => p.Pid).ToArray();
        Assert.Contains(workerPid, running);
        Assert.Contains(childPid, running);

        var second = await cli.RunAsync("up", "--detach");
        Assert.True(second.ExitCode != 0, $"a second 'up --detach' succeeded: {second}");
        Assert.Contains("already running", second.Stderr);
        Assert.Equal(daemonPid, cli.DaemonPid());

        var down = await cli.RunOkAsync("down");

        Assert.Contains("mesh stopped", down.Stdout);
        Assert.DoesNotContain("did not stop", down.Stderr);
        var leftovers = await TaggedProcesses.WaitUntilNoneAsync(cli.Tag, TimeSpan.FromSeconds(15));
        Assert.True(leftovers.Count == 0, $"left running after 'meshdev down':{Environment.NewLine}{string.Join(Environment.NewLine, leftovers)}");
        Assert.False(File.Exists(cli.DaemonFile), "daemon.json is still there after 'meshdev down'");
    }

    [Fact]
    public async Task Up_on_ports_another_folders_mesh_holds_names_that_mesh_by_pid_and_folder()
    {
        // The same manifest in two checkouts: the second 'up' meets the first one's mesh on every port.
        await using var first = new MeshdevCli();
        await using var second = new MeshdevCli();
        var manifest = new ManifestBuilder(first.Tag).Service("orders");
        first.WriteManifest(manifest.ToYaml());
        second.WriteManifest(manifest.ToYaml());
        await first.RunOkAsync("up", "--detach");
        var daemonPid = first.DaemonPid();

        var result = await second.RunAsync("up");
        await first.RunOkAsync("down");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(
            $"another program already uses shared port {manifest.SharedPort} (mesh.http), xDS port {manifest.XdsPort} (mesh.xds), " +
            $"mesh port {manifest.MeshPorts["orders"]} of service 'orders' (meshPort), held by pid {daemonPid} (",
            result.Stderr);
        Assert.Contains($", in {first.Directory}): stop it or choose other ports in {Path.Combine(second.Directory, "meshdev.yaml")}", result.Stderr);
        Assert.False(File.Exists(second.DaemonFile), "nothing was started");
    }

    [Fact]
    public async Task The_detached_daemons_log_says_to_stop_it_with_down_not_ctrl_c()
    {
        await using var cli = new MeshdevCli();
        cli.WriteManifest(new ManifestBuilder(cli.Tag).Service("orders").ToYaml());

        var up = await cli.RunOkAsync("up", "--detach");
        await cli.RunOkAsync("down");

        Assert.Contains("1 service launched on first call", up.Stdout);
        // Read after down: the daemon has written its last line ("mesh stopped") and exited, so the log is complete.
        var log = File.ReadAllText(Path.Combine(cli.StateDirectory, "daemon.log"));
        Assert.Contains("| running detached: 'meshdev down' stops the mesh and everything it launched", log);
        Assert.Contains("mesh stopped", log);
        Assert.DoesNotContain("Ctrl+C", log);
    }

    [Fact]
    public async Task Git_sees_the_manifest_but_nothing_of_the_state_directory()
    {
        await using var cli = new MeshdevCli();
        var manifest = new ManifestBuilder(cli.Tag).Service("orders");
        manifest.WriteTo(cli.Directory);
        await Git(cli.Directory, "init", "-q");

        await cli.RunOkAsync("up", "--detach");
        using var http = TestMesh.NewHttpClient();
        await http.GetStringAsync($"http://127.0.0.1:{manifest.MeshPorts["orders"]}/whoami");
        var untracked = await Git(cli.Directory, "status", "--porcelain", "--untracked-files=all");
        await cli.RunOkAsync("down");

        Assert.True(File.Exists(Path.Combine(cli.StateDirectory, "logs", "orders.log")), "the service's log was not written");
        Assert.Equal("?? meshdev.yaml", untracked.Trim());
    }

    private static async Task<string> Git(string directory, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var git = System.Diagnostics.Process.Start(start)!;
        var output = git.StandardOutput.ReadToEndAsync();
        var errors = git.StandardError.ReadToEndAsync();
        await git.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(git.ExitCode == 0, $"git {string.Join(' ', args)}: {await errors}");
        return await output;
    }

    [Fact]
    public async Task Down_after_the_daemon_was_killed_stops_the_service_groups_it_left_behind()
    {
        await using var cli = new MeshdevCli();
        var manifest = Manifest(cli);
        manifest.WriteTo(cli.Directory);
        await cli.RunOkAsync("up", "--detach");
        using var http = TestMesh.NewHttpClient();
        var worker = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{manifest.MeshPorts["worker"]}/whoami")).RootElement;
        var workerPid = worker.GetProperty("pid").GetInt32();
        var childPid = worker.GetProperty("childPid").GetInt32();
        var daemonPid = cli.DaemonPid();

        // SIGKILL: the daemon gets no chance to stop anything.
        TaggedProcesses.Kill(daemonPid);
        await Eventually.UntilAsync(() => !TaggedProcesses.IsRunning(daemonPid), $"the killed daemon {daemonPid} is gone");
        Assert.True(TaggedProcesses.IsRunning(workerPid), "the worker should have outlived the killed daemon (else this test proves nothing)");
        Assert.True(TaggedProcesses.IsRunning(childPid), "the worker's child should have outlived the killed daemon");

        var down = await cli.RunOkAsync("down");

        Assert.Contains("leftover process", down.Stdout);
        Assert.DoesNotContain("did not stop", down.Stderr);
        var leftovers = await TaggedProcesses.WaitUntilNoneAsync(cli.Tag, TimeSpan.FromSeconds(15));
        Assert.True(leftovers.Count == 0, $"left running after 'meshdev down':{Environment.NewLine}{string.Join(Environment.NewLine, leftovers)}");
        Assert.False(File.Exists(cli.DaemonFile), "daemon.json is still there after 'meshdev down'");
    }
}
