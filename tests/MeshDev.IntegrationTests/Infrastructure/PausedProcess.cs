using MeshDev.Runtime;

namespace MeshDev.IntegrationTests.Infrastructure;

/// <summary>SIGSTOP that has taken effect: kill() returns before the process stops, so a request sent at once may still be served.</summary>
internal static class PausedProcess
{
    /// <summary>Stops <paramref name="pid"/> and returns once /proc shows it stopped (state T).</summary>
    public static async Task StopAsync(int pid)
    {
        Assert.True(UnixProcess.SignalProcess(pid, UnixProcess.SigStop), $"process {pid} is gone");
        await Eventually.UntilAsync(() => IsStopped(pid), $"process {pid} stopped");
    }

    private static bool IsStopped(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('T');
    }
}
