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
