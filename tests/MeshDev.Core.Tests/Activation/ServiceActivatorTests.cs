using MeshDev.Activation;
using MeshDev.Catalog;
using MeshDev.Runtime;

namespace MeshDev.Core.Tests.Activation;

public sealed class ServiceActivatorTests : ActivatorTestBase
{
    private async Task WaitForStateAsync(ServiceActivator activator, ServiceState state)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (activator.State != state)
        {
            Assert.True(DateTime.UtcNow < deadline, $"state stayed {activator.State}, expected {state}");
            await Task.Delay(1);
        }
    }

    private async Task<ServiceStateChange> WaitForChangeAsync(Func<ServiceStateChange, bool> match)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            if (_changes.FirstOrDefault(match) is { } change)
            {
                return change;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no such change; seen: {string.Join(", ", _changes.Select(c => $"{c.From}->{c.To}"))}");
            await Task.Delay(1);
        }
    }

    [Fact]
    public async Task State_changes_are_delivered_in_the_order_they_happened()
    {
        var activator = Create(s => s with { IdleTimeout = TimeSpan.FromMinutes(1) });
        (await activator.AcquireAsync()).Dispose();
        _time.Advance(TimeSpan.FromMinutes(1));
        await WaitForChangeAsync(c => c.To == ServiceState.Stopped);

        Assert.Equal([ServiceState.Starting, ServiceState.Ready, ServiceState.Stopping, ServiceState.Stopped], _changes.Select(c => c.To));
    }

    [Fact]
    public async Task Concurrent_callers_share_one_launch()
    {
        var activator = Create();
        _runtime.StartGate = new TaskCompletionSource();

        var callers = Enumerable.Range(0, 50).Select(_ => activator.AcquireAsync().AsTask()).ToArray();
        await WaitForStateAsync(activator, ServiceState.Starting);
        Assert.All(callers, c => Assert.False(c.IsCompleted));
        _runtime.StartGate.SetResult();

        var leases = await Task.WhenAll(callers).WaitAsync(Wait);
        Assert.Equal(1, _runtime.Starts);
        Assert.Equal(1, activator.Launches);
        Assert.All(leases, l => Assert.Equal(_runtime.Instances[0].Endpoint, l.Endpoint));
        Assert.Equal(50, activator.InFlight);
        foreach (var lease in leases)
        {
            lease.Dispose();
        }

        Assert.Equal(0, activator.InFlight);
        Assert.Equal(ServiceState.Ready, activator.State);
    }

    [Fact]
    public async Task Failed_launch_fails_every_waiter_with_cause_and_log_tail_then_backs_off()
    {
        var activator = Create();
        _runtime.StartGate = new TaskCompletionSource();
        _runtime.StartError = new LaunchException("command 'orders' not found");

        var callers = Enumerable.Range(0, 10).Select(_ => activator.AcquireAsync().AsTask()).ToArray();
        await WaitForStateAsync(activator, ServiceState.Starting);
        _runtime.StartGate.SetResult();

        foreach (var caller in callers)
        {
            var error = await Assert.ThrowsAsync<ServiceUnavailableException>(() => caller.WaitAsync(Wait));
            Assert.Equal("command 'orders' not found", error.Failure.Cause);
            Assert.Contains("fatal: could not start", error.Failure.LogTail);
            Assert.Equal(TimeSpan.FromSeconds(1), error.RetryAfter);
        }

        // During the backoff: fail fast, no new launch.
        _time.Advance(TimeSpan.FromMilliseconds(400));
        var fast = await Assert.ThrowsAsync<ServiceUnavailableException>(() => activator.AcquireAsync().AsTask());
        Assert.Equal(TimeSpan.FromMilliseconds(600), fast.RetryAfter);
        Assert.Equal(1, _runtime.Starts);

        // After it: one new try, which fails again and doubles the backoff.
        _time.Advance(TimeSpan.FromMilliseconds(600));
        var second = await Assert.ThrowsAsync<ServiceUnavailableException>(() => activator.AcquireAsync().AsTask().WaitAsync(Wait));
        Assert.Equal(2, _runtime.Starts);
        Assert.Equal(TimeSpan.FromSeconds(2), second.RetryAfter);

        // Once the cause is fixed, the next try after the backoff succeeds and resets it.
        _runtime.StartError = null;
        _time.Advance(TimeSpan.FromSeconds(2));
        using var lease = await activator.AcquireAsync().AsTask().WaitAsync(Wait);
        Assert.Equal(ServiceState.Ready, activator.State);
        Assert.Null(activator.LastFailure);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(5, 16)]
    [InlineData(6, 30)]
    [InlineData(50, 30)]
    public void Backoff_doubles_from_one_second_and_is_capped(int failures, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Backoff.After(failures));

    [Fact]
    public async Task Exit_before_ready_is_reported_at_once_with_exit_code()
    {
        var activator = Create();
        _probe.Ready = false;
        var caller = activator.AcquireAsync().AsTask();
        await WaitForStateAsync(activator, ServiceState.Starting);
        while (_runtime.Instances.Count == 0)
        {
            await Task.Delay(1);
        }

        _runtime.Instances[0].Crash(3);

        var error = await Assert.ThrowsAsync<ServiceUnavailableException>(() => caller.WaitAsync(Wait));
        Assert.Equal("exited with code 3 before it was ready", error.Failure.Cause);
        Assert.Equal(ServiceState.Failed, activator.State);
    }

    [Fact]
    public async Task Never_ready_fails_after_start_timeout_and_stops_the_instance()
    {
        var activator = Create(s => s with { StartTimeout = TimeSpan.FromSeconds(5) });
        _probe.Ready = false;
        var caller = activator.AcquireAsync().AsTask();

        while (!caller.IsCompleted)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(1);
        }

        var error = await Assert.ThrowsAsync<ServiceUnavailableException>(() => caller);
        Assert.StartsWith("not ready after 5 s (probe: tcp on 127.0.0.1:", error.Failure.Cause);
        Assert.Equal(1, _runtime.Instances[0].StopCalls);
        Assert.True(_probe.Probes > 5, "probed repeatedly while waiting");
    }

    [Fact]
    public async Task First_probe_runs_right_after_spawn_and_the_next_after_five_ms()
    {
        var activator = Create();
        _probe.Ready = false;
        _ = activator.AcquireAsync().AsTask();
        while (_probe.Probes < 1)
        {
            await Task.Delay(1);
        }

        // No fake time has passed: the first probe did not wait for an interval. The next waits for one, which is
        // advanced only once it is armed (the launcher looks at the service's listeners in between).
        var probes = _probe.Probes;
        var deadline = DateTime.UtcNow + Wait;
        while (_time.Armed(ProbeSchedule.First) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the launcher never waited for the first probe interval");
            await Task.Delay(1);
        }

        _time.Advance(ProbeSchedule.First);
        while (_probe.Probes == probes)
        {
            await Task.Delay(1);
        }

        Assert.Equal(probes + 1, _probe.Probes);
    }

    [Fact]
    public void Probe_intervals_stay_small_while_the_launch_is_young_then_grow_gently()
    {
        var elapsed = TimeSpan.Zero;
        var interval = ProbeSchedule.First;
        var intervals = new List<TimeSpan>();
        while (elapsed < TimeSpan.FromSeconds(30))
        {
            intervals.Add(interval);
            elapsed += interval;
            var next = ProbeSchedule.Next(interval, elapsed);
            Assert.True(next.Ticks <= interval.Ticks * 1.25 + 1, $"grew from {interval} to {next}");
            interval = next;
        }

        Assert.Equal(TimeSpan.FromMilliseconds(5), intervals[0]);
        // 5 ms flat for the first 300 ms, where most small services get ready.
        Assert.All(intervals.TakeWhile((_, n) => intervals.Take(n).Aggregate(TimeSpan.Zero, (a, b) => a + b) < ProbeSchedule.FlatPhase), i => Assert.Equal(ProbeSchedule.First, i));
        Assert.All(intervals.Take(70), i => Assert.True(i <= TimeSpan.FromMilliseconds(25)));
        Assert.Equal(TimeSpan.FromMilliseconds(20), intervals.Where((_, n) => intervals.Take(n).Aggregate(TimeSpan.Zero, (a, b) => a + b) < TimeSpan.FromSeconds(4)).Max());
        Assert.Equal(TimeSpan.FromMilliseconds(250), intervals[^1]);
    }

    [Fact]
    public async Task Idle_service_is_stopped_after_idle_timeout()
    {
        var activator = Create(s => s with { IdleTimeout = TimeSpan.FromMinutes(5) });
        (await activator.AcquireAsync()).Dispose();

        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(ServiceState.Ready, activator.State);

        _time.Advance(TimeSpan.FromMinutes(1));
        await WaitForStateAsync(activator, ServiceState.Stopped);
        Assert.Equal(1, _runtime.Instances[0].StopCalls);
        // Changes are delivered in order but asynchronously: wait for the event itself, not just the state.
        var stopped = await WaitForChangeAsync(c => c.To == ServiceState.Stopped);
        Assert.StartsWith("idle for", stopped.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Activity_postpones_idle_stop()
    {
        var activator = Create(s => s with { IdleTimeout = TimeSpan.FromMinutes(5) });
        (await activator.AcquireAsync()).Dispose();
        _time.Advance(TimeSpan.FromMinutes(4));
        (await activator.AcquireAsync()).Dispose();
        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(ServiceState.Ready, activator.State);

        _time.Advance(TimeSpan.FromMinutes(1));
        await WaitForStateAsync(activator, ServiceState.Stopped);
    }

    [Fact]
    public async Task An_open_stream_keeps_the_service_alive()
    {
        var activator = Create(s => s with { IdleTimeout = TimeSpan.FromMinutes(5) });
        var stream = await activator.AcquireAsync();

        _time.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(ServiceState.Ready, activator.State);
        Assert.Equal(0, _runtime.Instances[0].StopCalls);

        stream.Dispose();
        _time.Advance(TimeSpan.FromMinutes(5));
        await WaitForStateAsync(activator, ServiceState.Stopped);
    }

    [Fact]
    public async Task Request_after_idle_stop_relaunches()
    {
        var activator = Create(s => s with { IdleTimeout = TimeSpan.FromMinutes(1) });
        (await activator.AcquireAsync()).Dispose();
        _time.Advance(TimeSpan.FromMinutes(1));
        await WaitForStateAsync(activator, ServiceState.Stopped);

        using var lease = await activator.AcquireAsync().AsTask().WaitAsync(Wait);
        Assert.Equal(2, _runtime.Starts);
        Assert.Equal(ServiceState.Ready, activator.State);
    }

    [Fact]
    public async Task Crash_is_noticed_at_once_and_next_request_relaunches()
    {
        var activator = Create();
        (await activator.AcquireAsync()).Dispose();
        _runtime.Instances[0].Crash(139);

        await WaitForStateAsync(activator, ServiceState.Stopped);
        Assert.Equal("exited unexpectedly with code 139", activator.LastFailure?.Cause);

        using var lease = await activator.AcquireAsync().AsTask().WaitAsync(Wait);
        Assert.Equal(2, _runtime.Starts);
    }

    [Fact]
    public async Task Caller_that_gives_up_does_not_cancel_the_launch_for_others()
    {
        var activator = Create();
        _runtime.StartGate = new TaskCompletionSource();
        using var leaving = new CancellationTokenSource();
        var impatient = activator.AcquireAsync(leaving.Token).AsTask();
        var patient = activator.AcquireAsync().AsTask();
        await WaitForStateAsync(activator, ServiceState.Starting);

        leaving.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient);
        _runtime.StartGate.SetResult();

        using var lease = await patient.WaitAsync(Wait);
        Assert.Equal(ServiceState.Ready, activator.State);
        Assert.Equal(1, activator.InFlight);
    }

    [Fact]
    public async Task Launch_gets_port_and_discovery_environment()
    {
        var activator = Create();
        using var lease = await activator.AcquireAsync();
        var request = _runtime.LastRequest!;
        Assert.Equal(request.Port.ToString(), request.Environment["PORT"]);
        Assert.Equal(request.Port, lease.Endpoint.Port);
    }

    [Fact]
    public async Task Explicit_stop_and_dispose_stop_the_instance()
    {
        var activator = Create();
        (await activator.AcquireAsync()).Dispose();
        await activator.StopAsync();
        Assert.Equal(ServiceState.Stopped, activator.State);
        Assert.Equal(1, _runtime.Instances[0].StopCalls);
    }
}
