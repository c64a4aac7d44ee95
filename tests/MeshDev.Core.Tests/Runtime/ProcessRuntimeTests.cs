using System.Collections.Immutable;
using System.Runtime.Versioning;

namespace MeshDev.Runtime.Tests;

// Real child processes, process groups and /proc: Linux only, like the runtime's signalling.
[SupportedOSPlatform("linux")]
public sealed class ProcessRuntimeTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly LogRecorder _log = new();
    private readonly ProcessRuntime _runtime = new();

    public void Dispose()
    {
        _runtime.Dispose();
        _log.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Output_of_stdout_and_stderr_reaches_the_service_log()
    {
        var service = Services.Shell(_dir.Path, "echo to-stdout; echo to-stderr >&2; echo last");

        await using var instance = await _runtime.StartAsync(Services.Request(service, _log), CancellationToken.None);
        await instance.Exited.WaitAsync(Wait.Long);

        Assert.Contains("to-stdout", _log.Lines);
        Assert.Contains("to-stderr", _log.Lines);
        Assert.Contains("last", _log.Log.Tail(5));
    }

    [Fact]
    public async Task Exited_completes_with_the_exit_code_after_the_output_is_drained()
    {
        var service = Services.Shell(_dir.Path, "echo bye; exit 3");

        await using var instance = await _runtime.StartAsync(Services.Request(service, _log), CancellationToken.None);

        Assert.Equal(3, await instance.Exited.WaitAsync(Wait.Long));
        Assert.Equal(["bye"], _log.Log.Tail(5));
    }

    [Fact]
    public async Task Port_is_substituted_in_args_and_env_and_set_as_PORT()
    {
        var service = Services.Shell(_dir.Path, "echo \"arg=$1 port=$PORT greeting=$GREETING\"", "--listen=127.0.0.1:${PORT}") with
        {
            Env = ImmutableDictionary<string, string>.Empty.Add("GREETING", "hello-${PORT}"),
        };

        await using var instance = await _runtime.StartAsync(Services.Request(service, _log, port: 43210), CancellationToken.None);
        await instance.Exited.WaitAsync(Wait.Long);

        Assert.Contains("arg=--listen=127.0.0.1:43210 port=43210 greeting=hello-43210", _log.Lines);
        Assert.Equal(new ServiceEndpoint("127.0.0.1", 43210), instance.Endpoint);
    }

    [Fact]
    public async Task Launch_environment_wins_over_service_env_and_PORT_wins_over_both()
    {
        var service = Services.Shell(_dir.Path, "echo \"who=$WHO port=$PORT home=$HOME\"") with
        {
            Env = ImmutableDictionary<string, string>.Empty.Add("WHO", "service").Add("PORT", "1"),
        };
        var environment = new Dictionary<string, string> { ["WHO"] = "launch", ["PORT"] = "2" };

        await using var instance = await _runtime.StartAsync(Services.Request(service, _log, port: 43211, environment: environment), CancellationToken.None);
        await instance.Exited.WaitAsync(Wait.Long);

        // HOME comes from the daemon's own environment, inherited underneath.
        Assert.Contains($"who=launch port=43211 home={Environment.GetEnvironmentVariable("HOME")}", _log.Lines);
    }

    [Fact]
    public async Task Runs_in_the_working_directory_with_stdin_closed()
    {
        var service = Services.Shell(_dir.Path, "echo \"cwd=$(pwd)\"; read line; echo \"read-status=$?\"");

        await using var instance = await _runtime.StartAsync(Services.Request(service, _log), CancellationToken.None);
        await instance.Exited.WaitAsync(Wait.Long);

        Assert.Contains($"cwd={_dir.Path}", _log.Lines);
        Assert.Contains("read-status=1", _log.Lines); // end of file at once, not a wait on the terminal
    }

    [Fact]
    public async Task Bare_command_is_found_on_PATH()
    {
        var service = new Catalog.ServiceSpec { Name = "svc", Command = "echo", Args = ["found", "${PORT}"], WorkingDir = _dir.Path };

        await using var instance = await _runtime.StartAsync(Services.Request(service, _log, port: 40001), CancellationToken.None);

        Assert.Equal(0, await instance.Exited.WaitAsync(Wait.Long));
        Assert.Contains("found 40001", _log.Lines);
    }

    [Fact]
    public async Task Relative_command_with_a_slash_is_taken_from_the_working_directory()
    {
        var script = _dir.WriteFile("bin/hello.sh", "#!/bin/sh\necho hello from script\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var service = new Catalog.ServiceSpec { Name = "svc", Command = "./bin/hello.sh", WorkingDir = _dir.Path };

        await using var instance = await _runtime.StartAsync(Services.Request(service, _log), CancellationToken.None);

        Assert.Equal(0, await instance.Exited.WaitAsync(Wait.Long));
        Assert.Contains("hello from script", _log.Lines);
    }

    [Fact]
    public async Task Unknown_command_is_a_launch_exception_saying_where_it_looked()
    {
        var service = new Catalog.ServiceSpec { Name = "svc", Command = "meshdev-no-such-command", WorkingDir = _dir.Path };

        var error = await Assert.ThrowsAsync<LaunchException>(() => _runtime.StartAsync(Services.Request(service, _log), CancellationToken.None));

        Assert.Equal($"command 'meshdev-no-such-command' not found (looked in PATH and {_dir.Path})", error.Message);
    }

    [Fact]
    public async Task Missing_relative_command_is_a_launch_exception()
    {
        var service = new Catalog.ServiceSpec { Name = "svc", Command = "./missing.sh", WorkingDir = _dir.Path };

        var error = await Assert.ThrowsAsync<LaunchException>(() => _runtime.StartAsync(Services.Request(service, _log), CancellationToken.None));

        Assert.Contains("'./missing.sh' not found", error.Message);
    }

    [Fact]
    public async Task Command_that_is_not_executable_is_a_launch_exception()
    {
        var script = _dir.WriteFile("plain.sh", "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var service = new Catalog.ServiceSpec { Name = "svc", Command = script, WorkingDir = _dir.Path };

        var error = await Assert.ThrowsAsync<LaunchException>(() => _runtime.StartAsync(Services.Request(service, _log), CancellationToken.None));

        Assert.Contains("is not executable", error.Message);
        Assert.Contains($"chmod +x {script}", error.Message);
    }

    [Fact]
    public async Task Service_leads_its_own_process_group_and_session_with_its_original_pid()
    {
        var service = Services.Shell(_dir.Path, "echo \"pid=$$\"; exec sleep 300");

        await using var instance = (ProcessInstance)await _runtime.StartAsync(Services.Request(service, _log), CancellationToken.None);
        var line = await _log.WaitForLineAsync("pid=");

        // setsid did not fork: the pid Process.Start returned is the shell's own pid, and it leads group and session.
        Assert.Equal(instance.ProcessId, Services.IntAfter(line, "pid"));
        Assert.Equal((instance.ProcessId, instance.ProcessId), Proc.GroupAndSession(instance.ProcessId));
    }

    [Fact]
    public async Task Stop_kills_a_process_that_ignores_SIGTERM_and_its_child()
    {
        var service = Services.Shell(_dir.Path, "trap '' TERM; sleep 300 & echo \"child=$! leader=$$\"; wait; echo still-here");
        await using var instance = (ProcessInstance)await _runtime.StartAsync(Services.Request(service, _log), CancellationToken.None);
        var line = await _log.WaitForLineAsync("child=");
        var child = Services.IntAfter(line, "child");
        Assert.True(Proc.IsAlive(child));
        Assert.True(Proc.IsAlive(instance.ProcessId));

        await instance.StopAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None).WaitAsync(Wait.Long);

        Assert.True(instance.Exited.IsCompleted);
        Assert.Equal(128 + UnixProcess.SigKill, await instance.Exited);
        await Wait.UntilAsync(() => !Proc.IsAlive(child), $"the child {child} is gone");
        Assert.False(Proc.IsAlive(instance.ProcessId));
        Assert.DoesNotContain("still-here", _log.Lines);
    }

    [Fact]
    public async Task Stop_lets_a_cooperative_process_exit_on_SIGTERM()
    {
        var service = Services.Shell(_dir.Path, "trap 'echo got-term; exit 0' TERM; echo ready; while :; do sleep 0.05; done");
        await using var instance = await _runtime.StartAsync(Services.Request(service, _log), CancellationToken.None);
        await _log.WaitForLineAsync("ready");

        await instance.StopAsync(Wait.Long, CancellationToken.None).WaitAsync(Wait.Long);

        Assert.Equal(0, await instance.Exited);
        Assert.Contains("got-term", _log.Lines);
    }

    [Fact]
    public async Task Stop_after_exit_and_twice_does_not_throw()
    {
        var service = Services.Shell(_dir.Path, "exit 0");
        var instance = await _runtime.StartAsync(Services.Request(service, _log), CancellationToken.None);
        await instance.Exited.WaitAsync(Wait.Long);

        await instance.StopAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
        await instance.StopAsync(TimeSpan.Zero, CancellationToken.None);
        await instance.DisposeAsync();
        await instance.DisposeAsync();
    }

    [Fact]
    public async Task Dispose_kills_a_running_instance()
    {
        var service = Services.Shell(_dir.Path, "trap '' TERM; echo ready; exec sleep 300");
        var instance = (ProcessInstance)await _runtime.StartAsync(Services.Request(service, _log), CancellationToken.None);
        await _log.WaitForLineAsync("ready");

        await instance.DisposeAsync().AsTask().WaitAsync(Wait.Long);

        Assert.True(instance.Exited.IsCompleted);
        Assert.False(Proc.IsAlive(instance.ProcessId));
    }

    [Fact]
    public async Task What_a_service_leaves_behind_when_it_exits_on_its_own_is_killed()
    {
        // The background sleep inherits stdout: unless it is killed, the output never ends and Exited never completes.
        var service = Services.Shell(_dir.Path, "sleep 300 & echo \"child=$!\"; exit 7");
        await using var instance = await _runtime.StartAsync(Services.Request(service, _log), CancellationToken.None);

        Assert.Equal(7, await instance.Exited.WaitAsync(Wait.Long));

        var child = Services.IntAfter(_log.Lines.Single(l => l.StartsWith("child=", StringComparison.Ordinal)), "child");
        await Wait.UntilAsync(() => !Proc.IsAlive(child), $"the child {child} is gone");
    }

    [Fact]
    public async Task Cancelled_stop_still_kills_then_throws()
    {
        var service = Services.Shell(_dir.Path, "trap '' TERM; echo ready; exec sleep 300");
        await using var instance = await _runtime.StartAsync(Services.Request(service, _log), CancellationToken.None);
        await _log.WaitForLineAsync("ready");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => instance.StopAsync(TimeSpan.FromMinutes(5), cancelled.Token));

        Assert.True(instance.Exited.IsCompleted);
    }

    [Fact]
    public async Task Service_without_command_or_project_is_a_launch_exception()
    {
        var service = new Catalog.ServiceSpec { Name = "svc", WorkingDir = _dir.Path };

        var error = await Assert.ThrowsAsync<LaunchException>(() => _runtime.StartAsync(Services.Request(service, _log), CancellationToken.None));

        Assert.Contains("neither 'command' nor 'project'", error.Message);
    }

    [Fact]
    public async Task Prepare_does_nothing_for_command_services()
    {
        var service = Services.Shell(_dir.Path, "exit 0");

        await _runtime.PrepareAsync(service, _log.Log, CancellationToken.None);

        Assert.Empty(_log.Lines);
        Assert.Equal(0, _runtime.BuildCount);
    }
}
