using MeshDev.Activation;

namespace MeshDev.Core.Tests.Activation;

/// <summary>Each launch the activator makes begins with a marker line in the service's log, numbered as <c>status</c> counts launches.</summary>
public sealed class LaunchMarkerTests : ActivatorTestBase
{
    [Fact]
    public async Task A_relaunch_after_a_crash_is_marked_after_the_first_launch_lines_and_before_its_own()
    {
        var activator = Create();
        var starts = 0;
        _runtime.OnStarted = (request, _) => request.Log.Write($"connecting to db (start {Interlocked.Increment(ref starts)})");

        (await activator.AcquireAsync().AsTask().WaitAsync(Wait)).Dispose();
        _runtime.Instances[0].Crash(1);
        await Eventually(() => activator.State == ServiceState.Stopped);
        using var lease = await activator.AcquireAsync().AsTask().WaitAsync(Wait);

        Assert.Equal(2, activator.Launches);
        // The activator's log here runs on the system clock: the time is whatever it was.
        Assert.Collection(
            activator.Log.Tail().Where(l => !l.StartsWith("starting ", StringComparison.Ordinal)),
            l => Assert.Matches(@"^── launch #1 at \d\d:\d\d:\d\d ──$", l),
            l => Assert.Equal("connecting to db (start 1)", l),
            l => Assert.Matches(@"^── launch #2 at \d\d:\d\d:\d\d ──$", l),
            l => Assert.Equal("connecting to db (start 2)", l));
    }

    [Fact]
    public async Task Each_launchs_starting_event_carries_the_number_its_log_marker_has()
    {
        // The number was read after the launch had started on the thread pool, which may have counted it already:
        // "launching (launch #2)" for the first launch, on a busy machine.
        var activator = Create();
        const int Launches = 30;
        for (var launch = 1; launch <= Launches; launch++)
        {
            (await activator.AcquireAsync().AsTask().WaitAsync(Wait)).Dispose();
            _runtime.Instances[^1].Crash(1);
            await Eventually(() => activator.State == ServiceState.Stopped);
        }

        var starting = _changes.Where(c => c.To == ServiceState.Starting).Select(c => c.Detail).ToList();
        Assert.Equal(Launches, activator.Launches);
        Assert.Equal(["launching", .. Enumerable.Range(2, Launches - 1).Select(n => $"launching (launch #{n})")], starting);
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the activator did not reach the state in time");
            await Task.Delay(5);
        }
    }
}
