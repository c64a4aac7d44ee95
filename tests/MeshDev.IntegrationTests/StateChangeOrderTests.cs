using MeshDev.Activation;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests;

/// <summary>StateChanged events arrive in the order the state changed (the CLI output and status consumers rely on it).</summary>
public sealed class StateChangeOrderTests
{
    [Fact]
    public async Task Failed_launch_is_reported_after_its_starting_event()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("ghost", command: "/nonexistent/bin"));

        await Problem.GetAsync(mesh.Http, mesh.Url("ghost"));
        await mesh.WaitForChangeAsync("ghost", c => c.To == ServiceState.Failed, "the failed event");

        Assert.Equal([ServiceState.Starting, ServiceState.Failed], mesh.Changes("ghost").Select(c => c.To));
    }

    [Fact]
    public async Task Stop_is_reported_as_stopping_then_stopped()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("orders"));
        await mesh.GetStringAsync("orders");

        await mesh.Service("orders").StopAsync();
        await mesh.WaitForChangeAsync("orders", c => c.To == ServiceState.Stopped, "the stopped event");

        Assert.Equal([ServiceState.Starting, ServiceState.Ready, ServiceState.Stopping, ServiceState.Stopped], mesh.Changes("orders").Select(c => c.To));
    }
}
