using System.Collections.Immutable;
using MeshDev.Activation;
using MeshDev.Catalog;
using MeshDev.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace MeshDev.Core.Tests.Activation;

/// <summary>Instances taken over from an earlier run, instances that bring their own readiness check, and <c>dependsOn</c>.</summary>
public sealed class AdoptionAndDependencyTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));
    private readonly FakeRuntime _runtime = new();
    private readonly List<IAsyncDisposable> _owned = [];

    private static ServiceSpec Spec(string name, params string[] dependsOn) => new()
    {
        Name = name,
        Command = name,
        WorkingDir = "/tmp",
        DependsOn = [.. dependsOn],
    };

    private ServiceActivator Activator(ServiceSpec spec, IReadinessProbe probe)
    {
        var activator = new ServiceActivator(spec, _runtime, new ServiceLog(spec.Name, null), (_, _) => ImmutableDictionary<string, string>.Empty, _time, probe);
        _owned.Add(activator);
        return activator;
    }

    private MeshActivator Mesh(params ServiceSpec[] services)
    {
        var mesh = new MeshActivator(new MeshManifest("/tmp/meshdev.yaml", new MeshSettings(), [.. services]), [_runtime], s => new ServiceLog(s.Name, null), _time);
        _owned.Add(mesh);
        return mesh;
    }

    [Fact]
    public async Task An_instance_left_running_is_adopted_before_traffic_and_not_launched_again()
    {
        var left = new FakeInstance(new ServiceEndpoint("127.0.0.1", 41000)) { Description = "container 3f2a1b" };
        _runtime.Adoptable = left;
        var changes = new System.Collections.Concurrent.ConcurrentQueue<ServiceStateChange>();
        var activator = Activator(Spec("orders"), new FakeProbe());
        activator.StateChanged += changes.Enqueue;

        Assert.True(await activator.AdoptRunningAsync());
        using var lease = await activator.AcquireAsync();

        Assert.Equal(ServiceState.Ready, activator.State);
        Assert.Equal(41000, lease.Endpoint.Port);
        Assert.Equal(0, _runtime.Starts);
        Assert.Equal(0, activator.Launches);
        // Changes are delivered in order on a background task: the Ready one arriving means the Starting one came before.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!changes.ToArray().Any(c => c.To == ServiceState.Ready) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(1);
        }

        Assert.Contains(changes.ToArray(), c => c.To == ServiceState.Starting && c.Detail.Contains("adopting container 3f2a1b", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Nothing_to_adopt_leaves_the_service_stopped_without_a_state_change()
    {
        var changes = new List<ServiceStateChange>();
        var activator = Activator(Spec("orders"), new FakeProbe());
        activator.StateChanged += changes.Add;

        Assert.False(await activator.AdoptRunningAsync());

        Assert.Equal(ServiceState.Stopped, activator.State);
        Assert.Empty(changes);
    }

    [Fact]
    public async Task An_adopted_instance_that_never_gets_ready_fails_like_a_launch_and_is_stopped()
    {
        var left = new FakeInstance(new ServiceEndpoint("127.0.0.1", 41001));
        _runtime.Adoptable = left;
        var probe = new FakeProbe { Ready = false };
        var activator = Activator(Spec("orders") with { StartTimeout = TimeSpan.FromSeconds(5) }, probe);

        Assert.True(await activator.AdoptRunningAsync());
        while (activator.State == ServiceState.Starting)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(1);
        }

        Assert.Equal(ServiceState.Failed, activator.State);
        Assert.Equal(1, left.StopCalls);
    }

    [Fact]
    public async Task An_adopted_instance_not_ready_yet_does_not_hold_the_mesh_start_and_requests_wait_for_it()
    {
        // A container left mid-start by a killed daemon: the mesh listens at once, as it would during a launch.
        var left = new FakeInstance(new ServiceEndpoint("127.0.0.1", 41002));
        _runtime.Adoptable = left;
        var probe = new FakeProbe { Ready = false };
        var activator = Activator(Spec("orders") with { StartTimeout = TimeSpan.FromMinutes(10) }, probe);

        Assert.True(await activator.AdoptRunningAsync());
        Assert.Equal(ServiceState.Starting, activator.State);
        var request = activator.AcquireAsync().AsTask();
        Assert.False(request.IsCompleted);

        probe.Ready = true;
        while (!request.IsCompleted)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(1);
        }

        using var lease = await request;

        Assert.Equal(41002, lease.Endpoint.Port);
        Assert.Equal(0, _runtime.Starts);
    }

    [Fact]
    public async Task An_instance_with_its_own_readiness_check_is_probed_with_it()
    {
        // A container's exec or HEALTHCHECK probe replaces the TCP/HTTP probe on its endpoint.
        var own = new FakeProbe { Ready = true };
        var serviceProbe = new FakeProbe { Ready = false };
        _runtime.InstanceReadiness = own;
        var activator = Activator(Spec("orders"), serviceProbe);

        using var lease = await activator.AcquireAsync();

        Assert.True(own.Probes >= 1);
        Assert.Equal(0, serviceProbe.Probes);
    }

    [Fact]
    public async Task A_probe_that_asks_for_a_minimum_interval_is_not_called_more_often()
    {
        var own = new SlowProbe(TimeSpan.FromMilliseconds(100), _time) { ReadyAfter = 3 };
        _runtime.InstanceReadiness = own;
        var activator = Activator(Spec("orders"), new FakeProbe());

        var acquire = activator.AcquireAsync().AsTask();
        while (!acquire.IsCompleted)
        {
            _time.Advance(TimeSpan.FromMilliseconds(5));
            await Task.Delay(1);
        }

        (await acquire).Dispose();
        Assert.Equal(3, own.Calls.Count);
        Assert.All(own.Calls.Zip(own.Calls.Skip(1)), pair => Assert.True(pair.Second - pair.First >= TimeSpan.FromMilliseconds(100), $"probed {(pair.Second - pair.First).TotalMilliseconds} ms apart"));
    }

    [Fact]
    public async Task Dependencies_are_launched_and_ready_before_the_service_itself()
    {
        _runtime.InstanceReadiness = new FakeProbe();
        var mesh = Mesh(Spec("web", "db", "cache"), Spec("db"), Spec("cache"), Spec("unrelated"));

        using var lease = await mesh.Find("web")!.AcquireAsync();

        Assert.Equal(["cache", "db", "web"], _runtime.StartOrder.Take(2).Order().Append(_runtime.StartOrder[2]));
        Assert.Equal(ServiceState.Ready, mesh.Find("db")!.State);
        Assert.Equal(ServiceState.Ready, mesh.Find("cache")!.State);
        Assert.Equal(ServiceState.Stopped, mesh.Find("unrelated")!.State);
    }

    [Fact]
    public async Task A_dependency_that_fails_fails_the_service_with_its_cause()
    {
        _runtime.InstanceReadiness = new FakeProbe();
        var mesh = Mesh(Spec("web", "db"), Spec("db") with { Command = "db" });
        _runtime.StartError = new LaunchException("command 'db' not found");

        var error = await Assert.ThrowsAsync<ServiceUnavailableException>(() => mesh.Find("web")!.AcquireAsync().AsTask());

        Assert.Equal("its dependency 'db' is unavailable: command 'db' not found", error.Failure.Cause);
        Assert.Equal(["db"], _runtime.StartOrder);
        Assert.Equal(ServiceState.Failed, mesh.Find("db")!.State);
    }

    [Fact]
    public async Task An_instance_that_ends_with_a_reason_fails_its_launch_with_that_reason()
    {
        var probe = new FakeProbe { Ready = false };
        var activator = Activator(Spec("orders"), probe);
        _runtime.StartGate = new TaskCompletionSource();
        var acquire = activator.AcquireAsync().AsTask();
        while (_runtime.Instances.Count == 0)
        {
            _runtime.StartGate.TrySetResult();
            await Task.Delay(1);
        }

        _runtime.Instances[0].Fail("pod orders-5f7 is in CrashLoopBackOff: back-off 10s restarting failed container");

        var error = await Assert.ThrowsAsync<ServiceUnavailableException>(() => acquire);
        Assert.Equal("pod orders-5f7 is in CrashLoopBackOff: back-off 10s restarting failed container", error.Failure.Cause);
    }

    [Fact]
    public async Task A_ready_instance_that_ends_with_a_reason_is_reported_with_it()
    {
        var changes = new System.Collections.Concurrent.ConcurrentQueue<ServiceStateChange>();
        var activator = Activator(Spec("orders"), new FakeProbe());
        activator.StateChanged += changes.Enqueue;
        (await activator.AcquireAsync()).Dispose();

        _runtime.Instances[0].Fail("pod orders-5f7 was evicted: the node is low on memory");

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!changes.Any(c => c.To == ServiceState.Stopped) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(1);
        }

        Assert.Contains(changes, c => c.To == ServiceState.Stopped && c.Detail == "pod orders-5f7 was evicted: the node is low on memory; the next request relaunches it");
        Assert.Equal("pod orders-5f7 was evicted: the node is low on memory", activator.LastFailure!.Cause);
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    // xUnit 2 calls IAsyncLifetime on a test class, not IAsyncDisposable.
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }
    }

    /// <summary>Records when it was called (fake clock) and says ready from its n-th call on.</summary>
    private sealed class SlowProbe(TimeSpan minimumInterval, TimeProvider time) : IReadinessProbe
    {
        public int ReadyAfter { get; init; }

        public List<TimeSpan> Calls { get; } = [];

        public TimeSpan MinimumInterval => minimumInterval;

        public ValueTask<bool> ProbeAsync(ServiceEndpoint endpoint, CancellationToken cancellationToken)
        {
            Calls.Add(TimeSpan.FromTicks(time.GetUtcNow().Ticks));
            return ValueTask.FromResult(Calls.Count >= ReadyAfter);
        }
    }
}
