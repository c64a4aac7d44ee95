using System.Net;
using System.Net.Sockets;
using MeshDev.Activation;
using MeshDev.Catalog;
using MeshDev.Runtime;
using MeshDev.Testing;

namespace MeshDev.Core.Tests.Activation;

/// <summary>
/// A <c>port: auto</c> port taken by another program between the mesh's pick and the service's bind: the same launch
/// tries again on a new port, a bounded number of times, while its callers keep waiting. The "other program" is a
/// real listener on the picked port, so the activator's check of the port is the real one.
/// </summary>
public sealed class AutoPortRetryTests : ActivatorTestBase
{
    private readonly List<TcpListener> _otherPrograms = [];

    protected override ServiceSpec DefaultSpec => base.DefaultSpec with { StartTimeout = TimeSpan.FromSeconds(5) };

    /// <summary>Another program listens on the instance's port first, so the instance cannot bind it and exits, as a real service would.</summary>
    private void TakePortAndCrash(LaunchRequest request, FakeInstance instance)
    {
        TakePort(request.Port);
        request.Log.Write($"fatal: cannot listen on http://127.0.0.1:{request.Port}: address already in use");
        instance.Crash(1);
    }

    private void TakePort(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        lock (_otherPrograms)
        {
            _otherPrograms.Add(listener);
        }
    }

    /// <summary>The changes so far, once one to <paramref name="last"/> has happened (waits for that event, bounded).</summary>
    private async Task<ServiceStateChange[]> ChangesUntilAsync(ServiceState last)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChange(ServiceStateChange change)
        {
            if (change.To == last)
            {
                reached.TrySetResult();
            }
        }

        _activator!.StateChanged += OnChange;
        try
        {
            // Subscribed first, then checked: a change that happened before is seen here, one after by the handler.
            if (!_changes.Any(c => c.To == last))
            {
                await reached.Task.WaitAsync(Wait);
            }
        }
        catch (TimeoutException)
        {
            Assert.Fail($"no change to {last}; seen: {string.Join(", ", _changes.Select(c => $"{c.From}->{c.To}"))}");
        }
        finally
        {
            _activator.StateChanged -= OnChange;
        }

        return [.. _changes];
    }

    [Fact]
    public async Task Taken_auto_port_is_retried_on_a_new_port_within_the_same_launch_and_every_caller_gets_it()
    {
        var activator = Create();
        _runtime.OnStarted = (request, instance) =>
        {
            if (_runtime.Starts == 1)
            {
                TakePortAndCrash(request, instance);
            }
        };

        var leases = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => activator.AcquireAsync().AsTask())).WaitAsync(Wait);

        var taken = _runtime.Requests[0].Port;
        var retried = _runtime.Requests[1].Port;
        Assert.NotEqual(taken, retried);
        Assert.Equal(retried.ToString(), _runtime.Requests[1].Environment["PORT"]);
        Assert.All(leases, l => Assert.Equal(retried, l.Endpoint.Port));
        Assert.Equal(2, _runtime.Starts);
        Assert.Equal(2, activator.Launches);
        Assert.Equal(1, _runtime.Instances[0].StopCalls);
        Assert.Contains($"meshdev: port {taken} was taken by another program before the service listened on it, retrying on port {retried}", activator.Log.Tail());

        // One activation: no failure in between that callers could have seen.
        var changes = await ChangesUntilAsync(ServiceState.Ready);
        Assert.Equal([ServiceState.Starting, ServiceState.Ready], changes.Select(c => c.To));
        Assert.Contains($"at 127.0.0.1:{retried}", changes[^1].Detail);
        foreach (var lease in leases)
        {
            lease.Dispose();
        }
    }

    [Fact]
    public async Task Start_timeout_on_a_port_another_program_took_is_retried_on_a_new_port()
    {
        var activator = Create();
        _probe.Ready = false;
        _runtime.OnStarted = (request, _) =>
        {
            // The other program holds the port but answers no probe; the instance itself keeps running without a port.
            if (_runtime.Starts == 1)
            {
                TakePort(request.Port);
            }
            else
            {
                _probe.Ready = true;
            }
        };

        // The launch runs on its own tasks: fake time moves in steps (each a start timeout's 1/50) until the caller is answered.
        var caller = activator.AcquireAsync().AsTask();
        for (var step = 0; !caller.IsCompleted; step++)
        {
            Assert.True(step < 1000, "the caller got no answer after 20 start timeouts of fake time");
            _time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(1);
        }

        using var lease = await caller;
        Assert.Equal(2, _runtime.Starts);
        Assert.Equal(1, _runtime.Instances[0].StopCalls);
        Assert.Equal(_runtime.Requests[1].Port, lease.Endpoint.Port);
        Assert.NotEqual(_runtime.Requests[0].Port, lease.Endpoint.Port);
        Assert.Equal([ServiceState.Starting, ServiceState.Ready], (await ChangesUntilAsync(ServiceState.Ready)).Select(c => c.To));
    }

    [Fact]
    public async Task Gives_up_after_three_taken_ports_and_says_the_port_was_taken()
    {
        var activator = Create();
        _runtime.OnStarted = TakePortAndCrash;

        var error = await Assert.ThrowsAsync<ServiceUnavailableException>(() => activator.AcquireAsync().AsTask().WaitAsync(Wait));

        Assert.Equal(ServiceLauncher.AutoPortAttempts, _runtime.Starts);
        Assert.Equal(ServiceLauncher.AutoPortAttempts, _runtime.Requests.Select(r => r.Port).Distinct().Count());
        var last = _runtime.Requests[^1].Port;
        Assert.Equal($"exited with code 1 before it was ready; port {last} was taken by another program before the service listened on it (3 ports tried, all taken)", error.Failure.Cause);
        Assert.Contains(error.Failure.LogTail, line => line.Contains($"retrying on port {_runtime.Requests[1].Port}", StringComparison.Ordinal));
        Assert.Equal([ServiceState.Starting, ServiceState.Failed], (await ChangesUntilAsync(ServiceState.Failed)).Select(c => c.To));
    }

    [Fact]
    public async Task A_failed_instance_that_cannot_be_stopped_still_fails_the_launch_with_its_own_cause()
    {
        var activator = Create();
        _runtime.OnStarted = (_, instance) =>
        {
            instance.StopFailure = new InvalidOperationException("engine gone");
            instance.Crash(3);
        };

        var error = await Assert.ThrowsAsync<ServiceUnavailableException>(() => activator.AcquireAsync().AsTask().WaitAsync(Wait));

        Assert.Equal("exited with code 3 before it was ready", error.Failure.Cause);
        Assert.Contains(activator.Log.Tail(), line => line.Contains("could not stop the failed instance: engine gone", StringComparison.Ordinal));
        Assert.Equal([ServiceState.Starting, ServiceState.Failed], (await ChangesUntilAsync(ServiceState.Failed)).Select(c => c.To));
    }

    [Fact]
    public async Task Exit_on_an_auto_port_nobody_else_holds_is_reported_without_a_retry()
    {
        var activator = Create();
        _runtime.OnStarted = (_, instance) => instance.Crash(3);

        var error = await Assert.ThrowsAsync<ServiceUnavailableException>(() => activator.AcquireAsync().AsTask().WaitAsync(Wait));

        Assert.Equal("exited with code 3 before it was ready", error.Failure.Cause);
        Assert.Equal(1, _runtime.Starts);
        Assert.DoesNotContain(activator.Log.Tail(), line => line.Contains("retrying", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Fixed_port_taken_after_the_check_is_reported_without_a_retry()
    {
        var fixedPort = TestPorts.Free();
        var activator = Create(s => s with { Port = fixedPort });
        _runtime.OnStarted = TakePortAndCrash;

        var error = await Assert.ThrowsAsync<ServiceUnavailableException>(() => activator.AcquireAsync().AsTask().WaitAsync(Wait));

        Assert.Equal("exited with code 1 before it was ready", error.Failure.Cause);
        Assert.Equal([fixedPort], _runtime.Requests.Select(r => r.Port));
    }

    [Fact]
    public async Task Fixed_port_taken_before_the_launch_keeps_its_clear_error()
    {
        // The port of an outgoing connection: held, but nothing listens there to adopt.
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        using var connection = new TcpClient();
        await connection.ConnectAsync((IPEndPoint)server.LocalEndpoint);
        var fixedPort = ((IPEndPoint)connection.Client.LocalEndPoint!).Port;
        var activator = Create(s => s with { Port = fixedPort });

        var error = await Assert.ThrowsAsync<ServiceUnavailableException>(() => activator.AcquireAsync().AsTask().WaitAsync(Wait));

        Assert.StartsWith($"port {fixedPort} is taken by another program", error.Failure.Cause);
        Assert.Equal(0, _runtime.Starts);
    }

    [Fact]
    public async Task Bridged_container_port_is_inside_the_container_and_not_retried()
    {
        var activator = Create(s => s with { Runtime = RuntimeKind.Docker, Container = new ContainerSpec { Image = "orders", Network = ContainerNetwork.Bridge } });
        _runtime.OnStarted = TakePortAndCrash;

        await Assert.ThrowsAsync<ServiceUnavailableException>(() => activator.AcquireAsync().AsTask().WaitAsync(Wait));

        Assert.Equal(1, _runtime.Starts);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var listener in _otherPrograms)
        {
            listener.Dispose();
        }
    }
}
