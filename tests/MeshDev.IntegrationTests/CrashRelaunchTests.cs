using MeshDev.Activation;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests;

/// <summary>A ready service that dies is noticed at once and relaunched by the next request.</summary>
public sealed class CrashRelaunchTests
{
    [Fact]
    public async Task Service_that_exits_is_marked_stopped_with_its_exit_code_and_the_next_request_relaunches_it()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("orders"));
        var first = await mesh.WhoAmIAsync("orders");

        Assert.Equal("exiting with code 7", await mesh.GetStringAsync("orders", "/exit?code=7"));

        var crash = await mesh.WaitForChangeAsync("orders", c => c.To == ServiceState.Stopped, "stopped after the exit");
        Assert.Equal(ServiceState.Ready, crash.From);
        Assert.Contains("code 7", crash.Detail);
        var status = mesh.Status("orders");
        Assert.Equal("stopped", status.State);
        Assert.Contains("code 7", status.LastError);
        Assert.Null(status.Endpoint);
        Assert.Equal(1, status.Launches);
        await Eventually.UntilAsync(() => !TaggedProcesses.IsRunning(first.Pid), $"the crashed process {first.Pid} is gone");

        var second = await mesh.WhoAmIAsync("orders");

        Assert.NotEqual(first.Pid, second.Pid);
        Assert.Equal(2, mesh.Service("orders").Launches);
        Assert.Equal("ready", mesh.Status("orders").State);
        Assert.Equal([second.Pid], mesh.FindTaggedProcesses().Select(p => p.Pid));
    }
}
