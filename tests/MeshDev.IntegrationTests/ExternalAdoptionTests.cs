using MeshDev.Activation;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests;

/// <summary>A service already listening on its fixed port (run from the IDE) is adopted: routed to, never launched or stopped.</summary>
public sealed class ExternalAdoptionTests
{
    [Fact]
    public async Task Service_already_listening_on_its_port_is_adopted_and_survives_the_mesh()
    {
        await using var own = await ExternalTestService.StartAsync("orders");
        var mesh = await TestMesh.StartAsync(m => m.Service("orders", port: own.Port));
        try
        {
            var whoami = await mesh.WhoAmIAsync("orders");

            Assert.Equal(own.Pid, whoami.Pid);
            Assert.Equal(own.Port, whoami.Port);
            var status = mesh.Status("orders");
            Assert.Equal("external", status.State);
            Assert.Equal(0, status.Launches);
            Assert.Equal($"127.0.0.1:{own.Port}", status.Endpoint);
            Assert.Empty(mesh.FindTaggedProcesses()); // the mesh launched nothing of its own
        }
        finally
        {
            await mesh.DisposeAsync();
        }

        Assert.False(own.HasExited, "stopping the mesh killed a process it had only adopted");
        Assert.True(TaggedProcesses.IsRunning(own.Pid));
        using var http = TestMesh.NewHttpClient();
        Assert.Equal("hello from orders", await http.GetStringAsync($"http://127.0.0.1:{own.Port}/"));
    }

    [Fact]
    public async Task When_the_adopted_instance_ends_the_request_that_finds_it_gone_is_served_by_a_launch_not_a_502()
    {
        // The IDE's instance is adopted, then the debugging session ends: the next call is the mesh's to serve.
        var own = await ExternalTestService.StartAsync("orders");
        var (ownPid, ownPort) = (own.Pid, own.Port);
        await using var mesh = await TestMesh.StartAsync(m => m.Service("orders", port: ownPort));
        try
        {
            Assert.Equal(ownPid, (await mesh.WhoAmIAsync("orders")).Pid);
        }
        finally
        {
            await own.DisposeAsync();
        }

        var whoami = await mesh.WhoAmIAsync("orders");

        Assert.NotEqual(ownPid, whoami.Pid);
        Assert.Equal(ownPort, whoami.Port);
        var status = mesh.Status("orders");
        Assert.Equal(("ready", 1), (status.State, status.Launches));
        var forgotten = await mesh.WaitForChangeAsync("orders", c => c.From == ServiceState.External && c.To == ServiceState.Stopped, "the adopted instance to be forgotten");
        Assert.Contains("stopped answering", forgotten.Detail);
    }
}
