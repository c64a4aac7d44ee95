using MeshDev.Activation;
using MeshDev.Catalog;
using MeshDev.Daemon.Hosting;
using MeshDev.Runtime;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace MeshDev.IntegrationTests;

/// <summary>
/// The daemon gives memory back once the mesh has gone quiet: the trim runs once per quiet period after activity, never
/// while a request is in flight. The trim is a counter here, not a GC; the clock is fake, so no test waits.
/// </summary>
public sealed class IdleMemoryTrimTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 3, 0, 0, TimeSpan.Zero));
    private readonly MeshActivator _activator;
    private readonly IdleMemoryTrim _idleTrim;
    private int _trims;

    public IdleMemoryTrimTests()
    {
        // A remote upstream: acquiring it needs no process and no I/O, so a test holds a request in flight for free.
        var manifest = ManifestLoader.Parse(
            """
            services:
              legacy:
                runtime: remote
                url: http://127.0.0.1:9
            """,
            Path.Combine(Path.GetTempPath(), "meshdev-idle-trim", "meshdev.yaml"));
        _activator = new MeshActivator(manifest, [], s => new ServiceLog(s.Name, null), _time);
        _idleTrim = new IdleMemoryTrim(_activator, _time, NullLogger<IdleMemoryTrim>.Instance, () => Interlocked.Increment(ref _trims));
    }

    private ServiceActivator Legacy => _activator.Find("legacy")!;

    private int Trims => Volatile.Read(ref _trims);

    /// <summary>The first request: waits until the service's state changes (launch, external) reached the trim's counter too.</summary>
    private async Task<ActivityLease> FirstRequestAsync()
    {
        var external = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Subscribed after the trim (StartAsync): the same event reaches the trim's handler first.
        Legacy.StateChanged += change =>
        {
            if (change.To == ServiceState.External)
            {
                external.TrySetResult();
            }
        };
        var lease = await Legacy.AcquireAsync();
        await external.Task.WaitAsync(Wait);
        return lease;
    }

    /// <summary>Moves the fake clock on one timer period at a time, so every check runs.</summary>
    private void AdvanceChecks(int checks)
    {
        for (var i = 0; i < checks; i++)
        {
            _time.Advance(IdleMemoryTrim.CheckInterval);
        }
    }

    private static int ChecksIn(TimeSpan span) => (int)(span / IdleMemoryTrim.CheckInterval);

    [Fact]
    public async Task Trims_once_after_the_quiet_period_that_follows_traffic_and_not_again_while_the_mesh_stays_idle()
    {
        await _idleTrim.StartAsync(CancellationToken.None);
        (await FirstRequestAsync()).Dispose();

        // The first check sees the request; the quiet period counts from there.
        AdvanceChecks(1);
        AdvanceChecks(ChecksIn(IdleMemoryTrim.QuietPeriod) - 1);
        Assert.Equal(0, Trims);

        AdvanceChecks(1);
        Assert.Equal(1, Trims);

        AdvanceChecks(ChecksIn(TimeSpan.FromMinutes(10)));
        Assert.Equal(1, Trims);

        // New traffic makes the next quiet period trim again, once.
        (await Legacy.AcquireAsync()).Dispose();
        AdvanceChecks(1 + ChecksIn(IdleMemoryTrim.QuietPeriod));
        AdvanceChecks(ChecksIn(TimeSpan.FromMinutes(10)));
        Assert.Equal(2, Trims);
    }

    [Fact]
    public async Task Does_not_trim_while_a_request_is_in_flight_and_trims_once_it_ended()
    {
        await _idleTrim.StartAsync(CancellationToken.None);
        var lease = await FirstRequestAsync();

        // A long stream or a developer paused at a breakpoint: no trim however long it stays open.
        AdvanceChecks(ChecksIn(TimeSpan.FromMinutes(10)));
        Assert.Equal(1, Legacy.InFlight);
        Assert.Equal(0, Trims);

        lease.Dispose();
        AdvanceChecks(1 + ChecksIn(IdleMemoryTrim.QuietPeriod));
        Assert.Equal(1, Trims);
    }

    [Fact]
    public async Task A_mesh_without_traffic_is_trimmed_once_after_start_and_nothing_runs_after_stop()
    {
        await _idleTrim.StartAsync(CancellationToken.None);
        AdvanceChecks(ChecksIn(TimeSpan.FromMinutes(10)));
        Assert.Equal(1, Trims);

        await _idleTrim.StopAsync(CancellationToken.None);
        (await FirstRequestAsync()).Dispose();
        AdvanceChecks(ChecksIn(TimeSpan.FromMinutes(10)));
        Assert.Equal(1, Trims);
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    // xUnit 2 calls IAsyncLifetime on a test class, not IAsyncDisposable.
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        _idleTrim.Dispose();
        await _activator.DisposeAsync();
    }
}
