using System.Globalization;
using System.Text.Json;
using MeshDev.Activation;
using MeshDev.IntegrationTests.Infrastructure;
using MeshDev.Runtime;

namespace MeshDev.IntegrationTests;

/// <summary>
/// A service whose processes leave its process group — a double-forked grandchild that calls setsid, a child that calls
/// setpgid, both ignoring SIGTERM — leaves nothing behind: after <c>meshdev down</c> with a live daemon, after the
/// daemon was SIGKILLed and then <c>down</c>, after the daemon was SIGKILLed and a new <c>up</c>, and after an idle
/// stop. Each both ways: through cgroups (this machine has them) and with <c>MESHDEV_CGROUPS=off</c>, through the
/// environment marker alone, as where no cgroup can be made. CLI, daemon and services are real processes.
/// </summary>
public sealed class EscapedProcessCleanupTests
{
    // The service: python's http.server on PORT (it stops on SIGTERM), after starting
    //  - a double fork: a subshell starts a background child and exits, so the child is reparented; that grandchild runs
    //    util-linux setsid (setsid(), then exec in place: same pid) and sleeps, ignoring SIGTERM;
    //  - a child that calls setpgid(0, 0) and ignores SIGTERM (python3).
    // $1 is unique to the test: their command lines (sleep $1.1, python3 … $1.2) say whose they are.
    private const string Script = """
        ( trap '' TERM; setsid sleep "$1.1" & )
        python3 -c 'import os, signal, sys, time; os.setpgid(0, 0); signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(float(sys.argv[1]))' "$1.2" &
        exec python3 -m http.server "$PORT" --bind 127.0.0.1
        """;

    private readonly string _unique = Random.Shared.Next(100_000, 900_000).ToString(CultureInfo.InvariantCulture);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Down_with_a_live_daemon_leaves_nothing_the_service_started(bool cgroups)
    {
        await using var cli = NewCli(cgroups);
        var manifest = Manifest(cli.Tag);
        manifest.WriteTo(cli.Directory);
        await cli.RunOkAsync("up", "--detach");
        await LaunchAsync(manifest);
        var escaped = await EscapedAsync(cli.Tag, cli.StateDirectory, cgroups);

        var down = await cli.RunOkAsync("down");

        Assert.Contains("mesh stopped", down.Stdout);
        await AssertNoneLeftAsync(cli.Tag, escaped, "'meshdev down'");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Down_after_the_daemon_was_killed_leaves_nothing_the_service_started(bool cgroups)
    {
        await using var cli = NewCli(cgroups);
        var manifest = Manifest(cli.Tag);
        manifest.WriteTo(cli.Directory);
        await cli.RunOkAsync("up", "--detach");
        await LaunchAsync(manifest);
        var escaped = await EscapedAsync(cli.Tag, cli.StateDirectory, cgroups);
        await KillDaemonAsync(cli, escaped);

        // Run the way a developer might, from a shell inside one of the mesh's services: down must spare itself.
        cli.ExtraEnvironment["MESHDEV_MESH_ID"] = MeshIdentity.For(cli.StateDirectory);
        var down = await cli.RunOkAsync("down");

        Assert.Contains("leftover process", down.Stdout);
        await AssertNoneLeftAsync(cli.Tag, escaped, "'meshdev down' after the daemon was killed");
        Assert.False(File.Exists(Path.Combine(cli.StateDirectory, "cgroup")), "the cgroup record outlived 'meshdev down'");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_new_up_after_the_daemon_was_killed_first_kills_what_the_old_run_left(bool cgroups)
    {
        await using var cli = NewCli(cgroups);
        var manifest = Manifest(cli.Tag);
        manifest.WriteTo(cli.Directory);
        await cli.RunOkAsync("up", "--detach");
        await LaunchAsync(manifest);
        var escaped = await EscapedAsync(cli.Tag, cli.StateDirectory, cgroups);
        await KillDaemonAsync(cli, escaped);

        await cli.RunOkAsync("up", "--detach");

        // Before any call: what is left running now is the new daemon alone.
        var newDaemon = cli.DaemonPid();
        await Eventually.UntilAsync(() => cli.FindTaggedProcesses().All(p => p.Pid == newDaemon),
            new Lazy<string>(() => $"only the new daemon {newDaemon} left; running:{Environment.NewLine}{string.Join(Environment.NewLine, cli.FindTaggedProcesses())}"),
            TimeSpan.FromSeconds(15));
        Assert.All(escaped, pid => Assert.False(TaggedProcesses.IsRunning(pid), $"process {pid} of the killed run survived the new 'up'"));

        // The new run works (launches again) and its own down leaves nothing either.
        await LaunchAsync(manifest);
        var again = await EscapedAsync(cli.Tag, cli.StateDirectory, cgroups);
        await cli.RunOkAsync("down");
        await AssertNoneLeftAsync(cli.Tag, again, "'meshdev down' of the new run");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Idle_stop_leaves_nothing_the_service_started(bool cgroups)
    {
        // Long enough for the escaped processes to be found and checked below before the idle stop kills them, on a
        // loaded machine too; it is the stop after that which the test is about.
        await using var mesh = await TestMesh.StartAsync(
            m => AddService(m, "idleTimeout: 3s"),
            runtimes: cgroups ? null : directory => [new ProcessRuntime(Path.Combine(directory, ".meshdev"), useCgroups: false)]);
        await mesh.GetStringAsync("escaper");
        var escaped = await EscapedAsync(mesh.Tag, Path.Combine(mesh.Directory, ".meshdev"), cgroups);

        var stopped = await mesh.WaitForChangeAsync("escaper", c => c.To == ServiceState.Stopped, "stopped when idle");

        Assert.Contains("idle", stopped.Detail);
        await AssertNoneLeftAsync(mesh.Tag, escaped, "the idle stop");
    }

    private static MeshdevCli NewCli(bool cgroups)
    {
        var cli = new MeshdevCli();
        if (!cgroups)
        {
            cli.ExtraEnvironment[ProcessRuntime.CgroupsVariable] = "off";
        }

        return cli;
    }

    private ManifestBuilder Manifest(string tag) => AddService(new ManifestBuilder(tag));

    private ManifestBuilder AddService(ManifestBuilder manifest, params string[] extra) => manifest.Service(
        "escaper",
        command: "/bin/sh",
        ready: "{ tcp: true }",
        extra: [$"args: [\"-c\", {JsonSerializer.Serialize(Script)}, \"sh\", \"{_unique}\"]", "stopGracePeriod: 1s", .. extra]);

    private static async Task LaunchAsync(ManifestBuilder manifest)
    {
        using var http = TestMesh.NewHttpClient();
        using var response = await http.GetAsync($"http://127.0.0.1:{manifest.MeshPorts["escaper"]}/");
        Assert.True(response.IsSuccessStatusCode, $"the first call answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>
    /// The escaped grandchild and child, once both run, after checking that they really left the service's group and
    /// session (else the test would prove nothing), and which way they are held: in the mesh's cgroup, or in none of ours.
    /// </summary>
    private async Task<int[]> EscapedAsync(string tag, string stateDirectory, bool cgroups)
    {
        TaggedProcess? setsid = null, setpgid = null;
        // Until their exec chains end (setsid, pyenv's shims) and setpgid ran, they are not what the test needs yet.
        await Eventually.UntilAsync(
            () => (setsid = Find(tag, p => p.CommandLine == $"sleep {_unique}.1")) is not null
                && (setpgid = Find(tag, p => p.CommandLine.Contains($"{_unique}.2", StringComparison.Ordinal) && GroupAndSession(p.Pid).Group == p.Pid)) is not null,
            new Lazy<string>(() => $"the escaped processes run; tagged now:{Environment.NewLine}{string.Join(Environment.NewLine, TaggedProcesses.Find(tag))}"));
        var leader = Find(tag, p => p.CommandLine.Contains("http.server", StringComparison.Ordinal))!.Pid;
        var (setsidGroup, setsidSession) = GroupAndSession(setsid!.Pid);
        Assert.Equal((setsid.Pid, setsid.Pid), (setsidGroup, setsidSession));
        Assert.NotEqual(leader, ParentOf(setsid.Pid));
        Assert.Equal(setpgid!.Pid, GroupAndSession(setpgid.Pid).Group);
        Assert.NotEqual(leader, GroupAndSession(setpgid.Pid).Group);

        var cgroup = File.ReadAllLines($"/proc/{setsid.Pid}/cgroup").Single(l => l.StartsWith("0::", StringComparison.Ordinal));
        var meshCgroup = $"/meshdev-{MeshIdentity.For(stateDirectory)}/";
        Assert.True(cgroups == cgroup.Contains(meshCgroup, StringComparison.Ordinal), $"cgroups {(cgroups ? "on" : "off")}, yet the escaped grandchild is in {cgroup}");
        return [setsid.Pid, setpgid.Pid];
    }

    private static async Task KillDaemonAsync(MeshdevCli cli, int[] escaped)
    {
        var daemon = cli.DaemonPid();
        // SIGKILL: the daemon gets no chance to stop anything.
        TaggedProcesses.Kill(daemon);
        await Eventually.UntilAsync(() => !TaggedProcesses.IsRunning(daemon), $"the killed daemon {daemon} is gone");
        Assert.All(escaped, pid => Assert.True(TaggedProcesses.IsRunning(pid), $"process {pid} did not outlive the killed daemon (else the test proves nothing)"));
    }

    private static async Task AssertNoneLeftAsync(string tag, int[] escaped, string after)
    {
        var leftovers = await TaggedProcesses.WaitUntilNoneAsync(tag, TimeSpan.FromSeconds(15));
        Assert.True(leftovers.Count == 0, $"left running after {after}:{Environment.NewLine}{string.Join(Environment.NewLine, leftovers)}");
        Assert.All(escaped, pid => Assert.False(TaggedProcesses.IsRunning(pid), $"process {pid} survived {after}"));
    }

    private static TaggedProcess? Find(string tag, Func<TaggedProcess, bool> match) => TaggedProcesses.Find(tag).FirstOrDefault(p =>
    {
        try
        {
            return match(p);
        }
        catch (IOException)
        {
            return false; // gone meanwhile
        }
    });

    private static (int Group, int Session) GroupAndSession(int pid)
    {
        var fields = Stat(pid);
        return (int.Parse(fields[2], CultureInfo.InvariantCulture), int.Parse(fields[3], CultureInfo.InvariantCulture));
    }

    private static int ParentOf(int pid) => int.Parse(Stat(pid)[1], CultureInfo.InvariantCulture);

    // The fields after "(comm) ", starting with field 3 (state).
    private static string[] Stat(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }
}
