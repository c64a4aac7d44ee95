using System.Text.Json;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.Cli;

/// <summary>
/// The process that hosts the mesh (<c>meshdev up</c>, also as the detached daemon) runs with the settings of
/// src/MeshDev.Daemon/MeshHostProcess.props, which devtools/bench measured: they must reach meshdev's runtimeconfig.json.
/// </summary>
public sealed class HostRuntimeSettingsTests
{
    [Fact]
    public void Meshdev_runtimeconfig_turns_thread_pool_spin_waiting_off() =>
        AssertSpinWaitingOff(Path.ChangeExtension(TestPaths.MeshdevDll, ".runtimeconfig.json"));

    /// <summary>
    /// The runtimeconfig.json sets the thread-pool spin limit to 0 and compiles methods with loops optimized at once
    /// (also checked on the installed .NET tool).
    /// </summary>
    internal static void AssertSpinWaitingOff(string runtimeConfig)
    {
        Assert.True(File.Exists(runtimeConfig), $"{runtimeConfig} is missing");
        using var document = JsonDocument.Parse(File.ReadAllText(runtimeConfig));
        var settings = document.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.True(settings.TryGetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", out var spinLimit),
            $"{runtimeConfig} has no thread-pool spin limit; is MeshHostProcess.props imported?");
        Assert.Equal(0, spinLimit.GetInt32());
        Assert.True(settings.TryGetProperty("System.Runtime.TieredCompilation.QuickJitForLoops", out var quickJitForLoops),
            $"{runtimeConfig} does not compile methods with loops optimized at once; is MeshHostProcess.props imported?");
        Assert.False(quickJitForLoops.GetBoolean());
    }
}
