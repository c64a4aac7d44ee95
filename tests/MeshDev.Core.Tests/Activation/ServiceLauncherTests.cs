using MeshDev.Activation;
using MeshDev.Catalog;
using MeshDev.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace MeshDev.Core.Tests.Activation;

/// <summary>
/// The launch procedure without the state machine: what a launch returns, what it tells the activator while it runs,
/// what it asks of the runtime, and what it cleans up when it fails. Fake runtime, probe and clock.
/// </summary>
public sealed class ServiceLauncherTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 6, 0, 0, TimeSpan.Zero));
    private readonly FakeRuntime _runtime = new();
    private readonly FakeProbe _probe = new();
    private readonly List<IServiceInstance?> _told = [];
    private readonly TaskCompletionSource<IServiceInstance> _firstTold = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static ServiceSpec Orders => new()
    {
        Name = "orders",
        Command = "orders",
        WorkingDir = "/tmp",
        StartTimeout = TimeSpan.FromSeconds(30),
    };

    private static ServiceSpec Legacy => new()
    {
        Name = "legacy",
        Runtime = RuntimeKind.Remote,
        WorkingDir = "/tmp",
        Url = new Uri("http://127.0.0.1:9000"),
        DependsOn = ["db"],
    };

    private ServiceLog? _log;

    private ServiceLauncher Launcher(ServiceSpec spec, IServiceRuntime? runtime, Func<string, CancellationToken, Task>? startDependency = null)
    {
        _log?.Dispose();
        _log = new ServiceLog(spec.Name, null);
        return new(spec, runtime, _log, _time, _probe, (_, port) => new Dictionary<string, string> { ["PORT"] = $"{port}" }, startDependency);
    }

    /// <summary>What the activator's callback does: remember the launch's current instance.</summary>
    private void Tell(IServiceInstance? instance)
    {
        lock (_told)
        {
            _told.Add(instance);
        }

        if (instance is not null)
        {
            _firstTold.TrySetResult(instance);
        }
    }

    private IServiceInstance?[] Told()
    {
        lock (_told)
        {
            return [.. _told];
        }
    }

    /// <summary>Moves the fake clock on by the first probe interval until <paramref name="task"/> ends, so each probe wait ends.</summary>
    private async Task<T> AdvanceUntilDone<T>(Task<T> task)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!task.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, "the launch did not end");
            _time.Advance(ProbeSchedule.First);
            await Task.Delay(1);
        }

        return await task;
    }

    [Fact]
    public async Task Tells_the_instance_as_soon_as_it_runs_and_returns_it_once_its_probe_answers()
    {
        var launcher = Launcher(Orders, _runtime);
        _probe.Ready = false;

        var launch = launcher.LaunchAsync(Tell, CancellationToken.None);
        var running = await _firstTold.Task.WaitAsync(Wait);

        // Told before it answers: its calls while it starts are already the service's.
        Assert.False(launch.IsCompleted);
        Assert.Same(_runtime.Instances[0], running);
        _probe.Ready = true;
        var ready = await AdvanceUntilDone(launch);

        Assert.Same(running, ready);
        Assert.Equal(InstanceOwnership.Launched, ready.Ownership);
        Assert.Equal(1, launcher.Launches);
        Assert.Equal([running], Told());
        Assert.Matches(@"^── launch #1 at \d\d:\d\d:\d\d ──$", _log!.Tail()[0]);
    }

    [Fact]
    public async Task A_failed_launch_stops_its_instance_takes_it_back_and_throws_the_cause()
    {
        var launcher = Launcher(Orders, _runtime);
        _runtime.OnStarted = (_, instance) => instance.Crash(3);

        var error = await Assert.ThrowsAsync<LaunchException>(() => AdvanceUntilDone(launcher.LaunchAsync(Tell, CancellationToken.None)));

        Assert.Equal("exited with code 3 before it was ready", ServiceLauncher.CauseOf(error));
        Assert.Equal(1, _runtime.Instances[0].StopCalls);
        Assert.Equal([_runtime.Instances[0], null], Told());
    }

    [Fact]
    public async Task Cancelling_a_launch_stops_the_instance_it_spawned()
    {
        var launcher = Launcher(Orders, _runtime);
        _probe.Ready = false;
        using var shutdown = new CancellationTokenSource();

        var launch = launcher.LaunchAsync(Tell, shutdown.Token);
        var running = await _firstTold.Task.WaitAsync(Wait);
        await shutdown.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => AdvanceUntilDone(launch));
        Assert.Equal(1, ((FakeInstance)running).StopCalls);
        Assert.Equal([running, null], Told());
    }

    [Fact]
    public async Task A_runtime_that_finds_the_service_running_elsewhere_gets_no_launch_probe_or_dependency()
    {
        var dependencies = new List<string>();
        var launcher = Launcher(Legacy, new RemoteRuntime(), (name, _) =>
        {
            dependencies.Add(name);
            return Task.CompletedTask;
        });

        var instance = await launcher.LaunchAsync(Tell, CancellationToken.None).WaitAsync(Wait);

        Assert.Equal(InstanceOwnership.Remote, instance.Ownership);
        Assert.Equal(new ServiceEndpoint("127.0.0.1", 9000), instance.Endpoint);
        Assert.Equal(0, launcher.Launches);
        Assert.Equal(0, _probe.Probes);
        Assert.Empty(dependencies);
        Assert.Empty(Told());
        Assert.Empty(_log!.Tail());
    }

    [Fact]
    public async Task Dependencies_that_fail_fail_the_launch_with_their_cause_before_the_runtime_is_asked()
    {
        var launcher = Launcher(Orders with { DependsOn = ["db"] }, _runtime, (name, _) =>
        {
            var now = _time.GetUtcNow();
            throw new ServiceUnavailableException(new LaunchFailure(name, "exited with code 1 before it was ready", [], now, now), TimeSpan.FromSeconds(1));
        });

        var error = await Assert.ThrowsAsync<LaunchException>(() => launcher.LaunchAsync(Tell, CancellationToken.None).WaitAsync(Wait));

        Assert.Equal("its dependency 'db' is unavailable: exited with code 1 before it was ready", error.Message);
        Assert.Equal(0, _runtime.Starts);
        Assert.Equal(0, launcher.Launches);
    }

    [Fact]
    public async Task Without_a_runtime_of_its_kind_the_launch_fails_saying_which()
    {
        var launcher = Launcher(Orders with { Runtime = RuntimeKind.Docker, Container = new ContainerSpec { Image = "orders" } }, runtime: null);

        var error = await Assert.ThrowsAsync<LaunchException>(() => launcher.LaunchAsync(Tell, CancellationToken.None).WaitAsync(Wait));

        Assert.Equal("no runtime 'docker' is available", error.Message);
        Assert.Null(await launcher.FindLeftRunningAsync(CancellationToken.None));
    }

    [Fact]
    public async Task An_instance_left_running_is_taken_over_once_it_answers_without_counting_a_launch()
    {
        var left = new FakeInstance(new ServiceEndpoint("127.0.0.1", 41002));
        _runtime.Adoptable = left;
        var launcher = Launcher(Orders, _runtime);

        var found = await launcher.FindLeftRunningAsync(CancellationToken.None);
        var taken = await launcher.TakeOverAsync(found!, Tell, CancellationToken.None).WaitAsync(Wait);

        Assert.Same(left, found);
        Assert.Same(left, taken);
        Assert.Equal(0, launcher.Launches);
        Assert.Equal(0, _runtime.Starts);
        Assert.Equal([left], Told());
    }

    [Fact]
    public async Task An_instance_left_running_that_never_answers_is_stopped_and_taken_back()
    {
        var left = new FakeInstance(new ServiceEndpoint("127.0.0.1", 41003));
        var launcher = Launcher(Orders with { StartTimeout = TimeSpan.FromSeconds(1) }, _runtime);
        _probe.Ready = false;

        var error = await Assert.ThrowsAsync<TimeoutException>(() => AdvanceUntilDone(launcher.TakeOverAsync(left, Tell, CancellationToken.None)));

        Assert.StartsWith("not ready after 1 s (probe: tcp on 127.0.0.1:41003)", error.Message);
        Assert.Equal(1, left.StopCalls);
        Assert.Equal([left, null], Told());
    }

    public void Dispose() => _log?.Dispose();
}
