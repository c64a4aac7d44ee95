using System.Diagnostics;

namespace MeshDev.Runtime.Tests;

public sealed class KillOrphansTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly LogRecorder _log = new();

    private string StateDirectory => _dir.Combine(".meshdev");

    private string PidFilePath => _dir.Combine(".meshdev", "pids", "svc.pid");

    public void Dispose()
    {
        _log.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Running_instance_records_its_group_and_start_time_and_removes_the_record_when_it_exits()
    {
        using var runtime = new ProcessRuntime(StateDirectory);
        var service = Services.Shell(_dir.Path, "exec sleep 300");
        await using var instance = (ProcessInstance)await runtime.StartAsync(Services.Request(service, _log), CancellationToken.None);

        Assert.Equal($"{instance.ProcessId} {UnixProcess.TryGetStartTime(instance.ProcessId)}\n", await File.ReadAllTextAsync(PidFilePath));

        await instance.StopAsync(TimeSpan.FromSeconds(5), CancellationToken.None).WaitAsync(Wait.Long);

        Assert.False(File.Exists(PidFilePath));
    }

    [Fact]
    public async Task Kills_a_recorded_group_that_is_still_alive_including_its_children()
    {
        // Stands for a daemon that died without stopping what it launched: the instance object is simply never stopped.
        using var runtime = new ProcessRuntime(StateDirectory);
        var service = Services.Shell(_dir.Path, "trap '' TERM; sleep 300 & echo \"child=$!\"; wait");
        await using var instance = (ProcessInstance)await runtime.StartAsync(Services.Request(service, _log), CancellationToken.None);
        var child = Services.IntAfter(await _log.WaitForLineAsync("child="), "child");

        var killed = await ProcessRuntime.KillOrphansAsync(StateDirectory);

        // The shell and its child.
        Assert.Equal(2, killed);
        Assert.False(File.Exists(PidFilePath));
        Assert.Equal(128 + UnixProcess.SigKill, await instance.Exited.WaitAsync(Wait.Long));
        await Wait.UntilAsync(() => !Proc.IsAlive(child), $"the child {child} is gone");
    }

    [Fact]
    public async Task Spares_a_process_whose_start_time_does_not_match_the_record()
    {
        // The recorded pid now belongs to another process (pid reuse): it must survive, and the stale record goes.
        using var stranger = Process.Start(new ProcessStartInfo("/bin/sleep", "300") { UseShellExecute = false })!;
        try
        {
            var startTime = UnixProcess.TryGetStartTime(stranger.Id)!.Value;
            Directory.CreateDirectory(Path.GetDirectoryName(PidFilePath)!);
            File.WriteAllText(PidFilePath, $"{stranger.Id} {startTime + 1}\n");

            var killed = await ProcessRuntime.KillOrphansAsync(StateDirectory);

            Assert.Equal(0, killed);
            Assert.False(File.Exists(PidFilePath));
            Assert.True(Proc.IsAlive(stranger.Id));
        }
        finally
        {
            stranger.Kill();
        }
    }

    [Fact]
    public async Task Removes_records_of_groups_that_are_gone_and_unreadable_records()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(PidFilePath)!);
        // Pids are far below int.MaxValue (pid_max is at most 2^22), so this group cannot exist.
        File.WriteAllText(PidFilePath, $"{int.MaxValue - 1} 12345\n");
        File.WriteAllText(_dir.Combine(".meshdev", "pids", "broken.pid"), "not a pid file");

        Assert.Equal(0, await ProcessRuntime.KillOrphansAsync(StateDirectory));
        Assert.Empty(Directory.GetFiles(_dir.Combine(".meshdev", "pids")));
    }

    [Fact]
    public async Task Nothing_recorded_kills_nothing()
    {
        Assert.Equal(0, await ProcessRuntime.KillOrphansAsync(StateDirectory));
    }
}
