using System.Runtime.Versioning;
using MeshDev.Catalog;

namespace MeshDev.Runtime.Tests;

/// <summary>
/// Processes a service starts that leave its process group — a double-forked grandchild that calls setsid, a child that
/// calls setpgid — are stopped with the service, and killed by <see cref="ProcessRuntime.KillOrphansAsync"/> after a
/// daemon died. Every test runs both ways this machine allows: through the instance's cgroup, and through the
/// environment marker alone (cgroups turned off), the path taken where no cgroup can be made.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class EscapedProcessesTests : IDisposable
{
    // Started by the service (sh), each printing its pid:
    //  - a double fork: a subshell starts a background child and exits at once, so the child is reparented (to init or a
    //    subreaper); that grandchild runs util-linux setsid, which calls setsid() and execs sleep in place (same pid);
    //  - a child that calls setpgid(0, 0) itself (python3).
    // $1 is a number unique to the test, so that their command lines (sleep $1.1, python3 … $1.2) are too.
    // With $2 = ignore, all of them ignore SIGTERM (an ignored signal stays ignored across exec), so only SIGKILL stops them.
    private const string EscapingService = """
        [ "$2" = ignore ] && trap '' TERM
        ( setsid sleep "$1.1" & echo "setsid=$!" )
        python3 -c 'import os, sys, time; os.setpgid(0, 0); print(f"setpgid={os.getpid()}", flush=True); time.sleep(float(sys.argv[1]))' "$1.2" &
        echo "leader=$$"; exec sleep "$1.3"
        """;

    private readonly TempDirectory _dir = new();
    private readonly LogRecorder _log = new();
    private readonly string _unique = Random.Shared.Next(100_000, 900_000).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private string StateDirectory => _dir.Combine(".meshdev");

    public void Dispose()
    {
        _log.Dispose();
        _dir.Dispose();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Stop_kills_a_double_forked_setsid_grandchild_and_a_setpgid_child_that_ignore_SIGTERM(bool cgroups)
    {
        using var runtime = Runtime(cgroups);
        await using var instance = await StartAsync(runtime, "ignore");
        var escaped = await EscapedAsync(instance);

        await instance.StopAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None).WaitAsync(Wait.Long);

        Assert.Equal(128 + UnixProcess.SigKill, await instance.Exited);
        await AllGoneAsync(escaped);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Processes_that_left_the_group_get_SIGTERM_when_the_service_is_stopped(bool cgroups)
    {
        // On SIGTERM the leader waits for the escaped child to have got its own (it leaves a file), so the end of the
        // grace period is not what ends either of them.
        const string script = """
            ( setsid sh -c 'trap "touch got-term; exit 0" TERM; echo "setsid=$$"; while :; do sleep 0.05; done' & )
            trap 'while [ ! -e got-term ]; do sleep 0.05; done; exit 0' TERM
            echo "leader=$$"; while :; do sleep 0.05; done
            """;
        using var runtime = Runtime(cgroups);
        await using var instance = (ProcessInstance)await runtime.StartAsync(Services.Request(Services.Shell(_dir.Path, script), _log), CancellationToken.None);
        var escaped = Services.IntAfter(await _log.WaitForLineAsync("setsid="), "setsid");
        await _log.WaitForLineAsync("leader=");
        Assert.NotEqual(instance.ProcessId, Proc.GroupAndSession(escaped).Session);

        await instance.StopAsync(Wait.Long, CancellationToken.None).WaitAsync(Wait.Long);

        Assert.Equal(0, await instance.Exited);
        Assert.True(File.Exists(_dir.Combine("got-term")), "the escaped process did not get SIGTERM");
        await AllGoneAsync([escaped]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task What_left_the_group_is_killed_when_the_service_exits_on_its_own(bool cgroups)
    {
        const string script = """
            trap '' TERM
            ( setsid sleep "$1.1" & echo "setsid=$!" )
            python3 -c 'import os, sys, time; os.setpgid(0, 0); print(f"setpgid={os.getpid()}", flush=True); open("setpgid-done", "w").close(); time.sleep(float(sys.argv[1]))' "$1.2" &
            until [ -e setpgid-done ]; do sleep 0.02; done; exit 4
            """;
        using var runtime = Runtime(cgroups);
        await using var instance = (ProcessInstance)await runtime.StartAsync(Services.Request(Services.Shell(_dir.Path, script, _unique), _log), CancellationToken.None);
        int[] escaped = [Services.IntAfter(await _log.WaitForLineAsync("setsid="), "setsid"), Services.IntAfter(await _log.WaitForLineAsync("setpgid="), "setpgid")];

        Assert.Equal(4, await instance.Exited.WaitAsync(Wait.Long));

        await AllGoneAsync(escaped);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Kill_orphans_kills_what_an_abandoned_instance_started_outside_its_group(bool cgroups)
    {
        // Stands for a daemon killed with SIGKILL: the instance object is never stopped.
        await using var runtime = Runtime(cgroups);
        await using var instance = await StartAsync(runtime, "ignore");
        var escaped = await EscapedAsync(instance);

        var killed = await ProcessRuntime.KillOrphansAsync(StateDirectory).WaitAsync(Wait.Long);

        // The sh leader exec'd into sleep, so the instance is exactly these three processes.
        Assert.Equal(3, killed);
        Assert.Equal(128 + UnixProcess.SigKill, await instance.Exited.WaitAsync(Wait.Long));
        await AllGoneAsync(escaped);
        Assert.False(File.Exists(Path.Combine(StateDirectory, "cgroup")), "the cgroup record is still there");
        Assert.Empty(Directory.GetFiles(Path.Combine(StateDirectory, "pids")));
        if (cgroups)
        {
            Assert.False(Directory.Exists(runtime.MeshCgroup!.Path), $"the mesh cgroup {runtime.MeshCgroup.Path} is still there");
        }
    }

    [Fact]
    public async Task Kill_orphans_by_environment_spares_the_processes_of_another_mesh()
    {
        using var other = new TempDirectory();
        using var otherLog = new LogRecorder();
        await using var runtime = Runtime(cgroups: false);
        await using var otherRuntime = new ProcessRuntime(other.Combine(".meshdev"), useCgroups: false);
        await using var instance = await StartAsync(runtime, "ignore");
        var escaped = await EscapedAsync(instance);
        await using var otherInstance = (ProcessInstance)await otherRuntime.StartAsync(
            Services.Request(Services.Shell(other.Path, EscapingService, _unique + "1", "ignore"), otherLog), CancellationToken.None);
        int[] otherEscaped = [Services.IntAfter(await otherLog.WaitForLineAsync("setsid="), "setsid"), Services.IntAfter(await otherLog.WaitForLineAsync("setpgid="), "setpgid")];

        Assert.Equal(3, await ProcessRuntime.KillOrphansAsync(StateDirectory).WaitAsync(Wait.Long));

        await AllGoneAsync(escaped);
        Assert.All(otherEscaped.Append(otherInstance.ProcessId), pid => Assert.True(Proc.IsAlive(pid), $"process {pid} of the other mesh was killed"));
        Assert.Equal(3, await ProcessRuntime.KillOrphansAsync(other.Combine(".meshdev")).WaitAsync(Wait.Long));
        await AllGoneAsync(otherEscaped);
    }

    [Fact]
    public async Task A_process_that_drops_its_whole_environment_is_still_killed_through_the_cgroup()
    {
        // env -i takes the marker away: only the cgroup still knows the process is the service's.
        await using var runtime = Runtime(cgroups: true);
        var script = """( setsid env -i sleep "$1.4" & echo "bare=$!" ); echo "leader=$$"; exec sleep "$1.3" """;
        await using var instance = (ProcessInstance)await runtime.StartAsync(Services.Request(Services.Shell(_dir.Path, script, _unique), _log), CancellationToken.None);
        var bare = Services.IntAfter(await _log.WaitForLineAsync("bare="), "bare");
        await Wait.UntilAsync(() => CommandLine(bare) == $"sleep {_unique}.4", "env -i exec'd sleep");
        Assert.DoesNotContain("MESHDEV_INSTANCE_ID", File.ReadAllText($"/proc/{bare}/environ"));

        await instance.StopAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None).WaitAsync(Wait.Long);

        await AllGoneAsync([bare]);
    }

    [Fact]
    public async Task Each_instance_runs_in_its_own_cgroup_inside_the_mesh_cgroup_and_carries_the_mesh_and_instance_ids()
    {
        await using var runtime = Runtime(cgroups: true);
        await using var instance = await StartAsync(runtime, "ignore");
        var escaped = await EscapedAsync(instance);

        var meshCgroup = runtime.MeshCgroup;
        Assert.True(meshCgroup is not null, $"no cgroup on this machine: {runtime.CgroupProblem}");
        Assert.Equal($"meshdev-{MeshIdentity.For(StateDirectory)}", Path.GetFileName(meshCgroup.Path));
        Assert.Equal(meshCgroup.Path + "\n", File.ReadAllText(Path.Combine(StateDirectory, "cgroup")));
        var instanceCgroup = Assert.Single(Directory.GetDirectories(meshCgroup.Path));
        Assert.Equal(escaped.Append(instance.ProcessId).Order(), File.ReadAllLines(Path.Combine(instanceCgroup, "cgroup.procs")).Select(int.Parse).Order());
        var environment = File.ReadAllText($"/proc/{escaped[0]}/environ").Split('\0');
        Assert.Contains($"MESHDEV_MESH_ID={MeshIdentity.For(StateDirectory)}", environment);
        Assert.Contains($"MESHDEV_INSTANCE_ID={Path.GetFileName(instanceCgroup)}", environment);

        await instance.StopAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None).WaitAsync(Wait.Long);
        await runtime.DisposeAsync();

        Assert.False(Directory.Exists(instanceCgroup), "the instance's cgroup outlived the instance");
        Assert.False(Directory.Exists(meshCgroup.Path), "the mesh cgroup outlived the runtime");
        Assert.False(File.Exists(Path.Combine(StateDirectory, "cgroup")), "the cgroup record outlived the runtime");
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task A_service_that_speaks_systemds_protocols_is_moved_into_its_cgroup_with_what_it_forked_meanwhile(bool socket, bool notify)
    {
        // Such a service is not held back by the cgroup write: the mesh moves it while it runs. Its child here is forked
        // at once, most likely before the move is done, and must end up in the cgroup all the same.
        await using var runtime = Runtime(cgroups: true);
        var script = """sleep "$1.5" & echo "child=$!"; echo "leader=$$"; exec sleep "$1.3" """;
        var service = Services.Shell(_dir.Path, script, _unique) with { Ready = new ReadyProbeSpec(ReadyKind.Tcp) { Socket = socket, Notify = notify } };
        await using var instance = (ProcessInstance)await runtime.StartAsync(Services.Request(service, _log), CancellationToken.None);
        var child = Services.IntAfter(await _log.WaitForLineAsync("child="), "child");
        Assert.Equal(instance.ProcessId, Services.IntAfter(await _log.WaitForLineAsync("leader="), "leader"));

        var meshCgroup = runtime.MeshCgroup;
        Assert.True(meshCgroup is not null, $"no cgroup on this machine: {runtime.CgroupProblem}");
        var instanceCgroup = Assert.Single(Directory.GetDirectories(meshCgroup.Path));
        int[] expected = [instance.ProcessId, child];
        await Wait.UntilAsync(
            () => File.ReadAllLines(Path.Combine(instanceCgroup, "cgroup.procs")).Select(int.Parse).Order().SequenceEqual(expected.Order()),
            "the service and its child are in the instance's cgroup");

        await instance.StopAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None).WaitAsync(Wait.Long);

        await AllGoneAsync(expected);
        Assert.DoesNotContain(_log.Lines, line => line.Contains("cgroup", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_cgroups_off_no_cgroup_is_made()
    {
        await using var runtime = Runtime(cgroups: false);
        await using var instance = await StartAsync(runtime, "ignore");
        await EscapedAsync(instance);

        Assert.Null(runtime.MeshCgroup);
        Assert.False(File.Exists(Path.Combine(StateDirectory, "cgroup")));
        Assert.DoesNotContain("meshdev-", File.ReadAllText($"/proc/{instance.ProcessId}/cgroup"));
    }

    private ProcessRuntime Runtime(bool cgroups) => new(StateDirectory, useCgroups: cgroups);

    private async Task<ProcessInstance> StartAsync(ProcessRuntime runtime, string signals)
    {
        var service = Services.Shell(_dir.Path, EscapingService, _unique, signals);
        return (ProcessInstance)await runtime.StartAsync(Services.Request(service, _log), CancellationToken.None);
    }

    /// <summary>The two escaped pids, once both run what they should and are outside the leader's group and session.</summary>
    private async Task<int[]> EscapedAsync(ProcessInstance instance)
    {
        var setsid = Services.IntAfter(await _log.WaitForLineAsync("setsid="), "setsid");
        var setpgid = Services.IntAfter(await _log.WaitForLineAsync("setpgid="), "setpgid");
        Assert.Equal(instance.ProcessId, Services.IntAfter(await _log.WaitForLineAsync("leader="), "leader"));
        await Wait.UntilAsync(() => CommandLine(setsid) == $"sleep {_unique}.1", "the setsid grandchild runs sleep");

        // Else the test would prove nothing: signalling the leader's group would reach them.
        Assert.Equal((setsid, setsid), Proc.GroupAndSession(setsid));
        Assert.Equal(setpgid, Proc.GroupAndSession(setpgid).ProcessGroup);
        Assert.NotEqual(instance.ProcessId, UnixProcess.TryGetParent(setsid));
        Assert.Contains($"{_unique}.2", CommandLine(setpgid));
        return [setsid, setpgid];
    }

    private static async Task AllGoneAsync(IEnumerable<int> pids)
    {
        foreach (var pid in pids)
        {
            await Wait.UntilAsync(() => !Proc.IsAlive(pid), $"process {pid} is gone");
        }
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }
}
