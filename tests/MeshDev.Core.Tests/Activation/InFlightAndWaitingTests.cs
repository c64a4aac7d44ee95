using System.Collections.Immutable;
using MeshDev.Activation;
using MeshDev.Catalog;
using MeshDev.Runtime;

namespace MeshDev.Core.Tests.Activation;

/// <summary>
/// What status shows of the requests in flight (how many, how long the oldest has been open) and the bound on requests
/// waiting for a launch (<c>maxWaitingRequests</c>).
/// </summary>
public sealed class InFlightAndWaitingTests : ActivatorTestBase
{
    private async Task<ServiceActivator> ReadyAsync(Func<ServiceSpec, ServiceSpec>? configure = null)
    {
        var activator = Create(configure);
        (await activator.AcquireAsync().AsTask().WaitAsync(Wait)).Dispose();
        Assert.Equal(ServiceState.Ready, activator.State);
        return activator;
    }

    private async Task WaitForWaitersAsync(ServiceActivator activator, int count)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (activator.Waiting != count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{activator.Waiting} requests wait, expected {count}");
            await Task.Delay(1);
        }
    }

    [Fact]
    public async Task Oldest_in_flight_age_follows_the_oldest_open_request_and_is_null_when_none_is_open()
    {
        var activator = await ReadyAsync();
        Assert.Null(activator.OldestInFlightAge);

        var first = await activator.AcquireAsync();
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(TimeSpan.FromSeconds(5), activator.OldestInFlightAge);

        var second = await activator.AcquireAsync();
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(2, activator.InFlight);
        Assert.Equal(TimeSpan.FromSeconds(7), activator.OldestInFlightAge);

        // The oldest ends: the age is the next oldest's.
        first.Dispose();
        Assert.Equal(TimeSpan.FromSeconds(2), activator.OldestInFlightAge);

        second.Dispose();
        Assert.Equal(0, activator.InFlight);
        Assert.Null(activator.OldestInFlightAge);
    }

    [Fact]
    public async Task Oldest_in_flight_age_is_never_less_than_the_true_age_and_less_than_100_ms_more()
    {
        var activator = await ReadyAsync();
        _time.Advance(TimeSpan.FromMilliseconds(250));
        using var lease = await activator.AcquireAsync();
        _time.Advance(TimeSpan.FromMilliseconds(4_730));

        // Began 4.73 s ago, in the tick that started 4.78 s ago.
        Assert.Equal(TimeSpan.FromMilliseconds(4_780), activator.OldestInFlightAge);
    }

    [Fact]
    public async Task Requests_that_begin_and_end_in_between_do_not_disturb_the_oldest_age()
    {
        var activator = await ReadyAsync();
        using var hung = await activator.AcquireAsync();

        // Many short requests over many ticks, so every slot is reused several times around the hung one's.
        for (var i = 0; i < 500; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(30));
            (await activator.AcquireAsync()).Dispose();
        }

        Assert.Equal(1, activator.InFlight);
        Assert.Equal(TimeSpan.FromMilliseconds(15_000), activator.OldestInFlightAge);
    }

    [Fact]
    public async Task Requests_from_more_ticks_than_there_are_slots_are_counted_with_the_newest_open_tick()
    {
        var activator = await ReadyAsync();
        var leases = new List<ActivityLease>();
        for (var i = 0; i < InFlightStarts.Slots; i++)
        {
            leases.Add(await activator.AcquireAsync());
            _time.Advance(InFlightStarts.Resolution);
        }

        // Every slot holds another tick: this one is counted as if it began one tick earlier, with the newest open one.
        var late = await activator.AcquireAsync();
        _time.Advance(TimeSpan.FromSeconds(10));
        var total = InFlightStarts.Resolution * InFlightStarts.Slots + TimeSpan.FromSeconds(10);
        Assert.Equal(total, activator.OldestInFlightAge);

        foreach (var lease in leases)
        {
            lease.Dispose();
        }

        Assert.Equal(1, activator.InFlight);
        Assert.Equal(TimeSpan.FromSeconds(10) + InFlightStarts.Resolution, activator.OldestInFlightAge);
        late.Dispose();
        Assert.Null(activator.OldestInFlightAge);
    }

    [Fact]
    public async Task Concurrent_requests_on_the_warm_path_leave_no_count_behind()
    {
        var activator = await ReadyAsync();
        using var held = await activator.AcquireAsync();
        _time.Advance(TimeSpan.FromSeconds(3));

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                Assert.True(activator.TryAcquire(out var lease));
                lease.Dispose();
            }
        }))).WaitAsync(Wait);

        Assert.Equal(1, activator.InFlight);
        Assert.Equal(TimeSpan.FromSeconds(3), activator.OldestInFlightAge);
    }

    [Fact]
    public async Task Past_max_waiting_requests_a_request_is_turned_away_at_once_and_the_others_still_get_the_launch()
    {
        var activator = Create(s => s with { MaxWaitingRequests = 3 });
        _runtime.StartGate = new TaskCompletionSource();
        var waiting = Enumerable.Range(0, 3).Select(_ => activator.AcquireAsync().AsTask()).ToArray();
        await WaitForWaitersAsync(activator, 3);

        var error = await Assert.ThrowsAsync<ServiceUnavailableException>(() => activator.AcquireAsync().AsTask());
        Assert.Equal(UnavailableReason.TooManyWaiting, error.Reason);
        Assert.Equal("3 requests already wait for 'orders' to start (maxWaitingRequests); retry shortly", error.Failure.Cause);
        Assert.Equal("orders", error.Failure.Service);
        Assert.Empty(error.Failure.LogTail);
        Assert.Equal(TimeSpan.FromSeconds(1), error.RetryAfter);
        Assert.Equal(3, activator.Waiting);

        _runtime.StartGate.SetResult();
        var leases = await Task.WhenAll(waiting).WaitAsync(Wait);
        Assert.Equal(1, _runtime.Starts);
        Assert.Equal(0, activator.Waiting);
        Assert.Null(activator.LastFailure);
        foreach (var lease in leases)
        {
            lease.Dispose();
        }

        // Ready: nothing waits, so nothing is turned away.
        var more = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => activator.AcquireAsync().AsTask()));
        Assert.Equal(10, activator.InFlight);
        foreach (var lease in more)
        {
            lease.Dispose();
        }
    }

    [Fact]
    public async Task A_waiter_that_gives_up_frees_its_place()
    {
        var activator = Create(s => s with { MaxWaitingRequests = 1 });
        _runtime.StartGate = new TaskCompletionSource();
        using var leaving = new CancellationTokenSource();
        var impatient = activator.AcquireAsync(leaving.Token).AsTask();
        await WaitForWaitersAsync(activator, 1);
        await Assert.ThrowsAsync<ServiceUnavailableException>(() => activator.AcquireAsync().AsTask());

        leaving.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient);
        Assert.Equal(0, activator.Waiting);
        var patient = activator.AcquireAsync().AsTask();
        await WaitForWaitersAsync(activator, 1);

        _runtime.StartGate.SetResult();
        using var lease = await patient.WaitAsync(Wait);
        Assert.Equal(ServiceState.Ready, activator.State);
    }

    [Fact]
    public async Task An_explicit_start_waits_even_when_the_requests_fill_the_bound()
    {
        var activator = Create(s => s with { MaxWaitingRequests = 1 });
        _runtime.StartGate = new TaskCompletionSource();
        var request = activator.AcquireAsync().AsTask();
        await WaitForWaitersAsync(activator, 1);

        var start = activator.StartAsync();
        await WaitForWaitersAsync(activator, 2);
        _runtime.StartGate.SetResult();

        await start.WaitAsync(Wait);
        (await request.WaitAsync(Wait)).Dispose();
        Assert.Equal(1, _runtime.Starts);
    }

    [Fact]
    public async Task The_bound_is_the_service_own_else_the_mesh_default()
    {
        var manifest = ManifestLoader.Parse(
            "mesh:\n  maxWaitingRequests: 50\nservices:\n  orders:\n    command: ./orders\n  billing:\n    command: ./billing\n    maxWaitingRequests: 7\n",
            "/tmp/meshdev.yaml");
        await using var mesh = new MeshActivator(manifest, [_runtime], s => new ServiceLog(s.Name, null), _time);

        Assert.Equal(50, mesh.Find("orders")!.MaxWaitingRequests);
        Assert.Equal(7, mesh.Find("billing")!.MaxWaitingRequests);
        await using var alone = new ServiceActivator(DefaultSpec, _runtime, new ServiceLog("orders", null), (_, _) => ImmutableDictionary<string, string>.Empty, _time, _probe);
        Assert.Equal(MeshSettings.DefaultMaxWaitingRequests, alone.MaxWaitingRequests);
    }

    [Fact]
    public async Task A_dependent_launch_is_not_turned_away_by_the_dependency_bound()
    {
        _runtime.InstanceReadiness = _probe;
        var manifest = new MeshManifest("/tmp/meshdev.yaml", new MeshSettings { MaxWaitingRequests = 1 },
        [
            new ServiceSpec { Name = "db", Command = "db", WorkingDir = "/tmp" },
            new ServiceSpec { Name = "orders", Command = "orders", WorkingDir = "/tmp", DependsOn = ["db"] },
        ]);
        await using var mesh = new MeshActivator(manifest, [_runtime], s => new ServiceLog(s.Name, null), _time);
        var db = mesh.Find("db")!;
        _runtime.StartGate = new TaskCompletionSource();
        var request = db.AcquireAsync().AsTask();
        await WaitForWaitersAsync(db, 1);

        // orders' launch waits for db beside the request that already fills db's bound.
        var orders = mesh.Find("orders")!.AcquireAsync().AsTask();
        await WaitForWaitersAsync(db, 2);
        _runtime.StartGate.SetResult();

        (await orders.WaitAsync(Wait)).Dispose();
        (await request.WaitAsync(Wait)).Dispose();
        Assert.Equal(ServiceState.Ready, mesh.Find("orders")!.State);
    }
}
