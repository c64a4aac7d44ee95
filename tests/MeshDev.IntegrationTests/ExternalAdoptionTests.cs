using System.Net;
using MeshDev.Activation;
using MeshDev.IntegrationTests.Infrastructure;
using MeshDev.Testing;

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

    [Fact]
    public async Task A_held_service_is_not_launched_its_calls_wait_for_the_instance_you_start_and_start_ends_the_hold()
    {
        var port = TestPorts.Free();
        await using var mesh = await TestMesh.StartAsync(m => m.Service("orders", port: port));
        await mesh.WhoAmIAsync("orders");
        Assert.Equal(1, mesh.Status("orders").Launches);

        // meshdev stop orders --hold, then a call before the IDE has its instance listening: it waits, nothing launches.
        await mesh.Service("orders").StopAsync(hold: true);
        var call = mesh.WhoAmIAsync("orders");
        await mesh.WaitForChangeAsync("orders", c => c.To == ServiceState.Starting && c.Detail.Contains("held", StringComparison.Ordinal), "the call waiting for the held service");
        var ide = await ExternalTestService.StartAsync("orders", port);
        var idePid = ide.Pid;
        try
        {
            Assert.Equal(idePid, (await call).Pid);
            Assert.Equal(("external", 1), (mesh.Status("orders").State, mesh.Status("orders").Launches));
        }
        finally
        {
            // The debugging session ends.
            await ide.DisposeAsync();
        }

        // 'meshdev start' ends the hold: the mesh launches its own again.
        await mesh.Service("orders").StartAsync();
        var own = await mesh.WhoAmIAsync("orders");
        Assert.NotEqual(idePid, own.Pid);
        Assert.Equal(("ready", 2), (mesh.Status("orders").State, mesh.Status("orders").Launches));
    }

    [Fact]
    public async Task Holding_a_service_that_is_already_stopped_is_an_event_the_watchers_see()
    {
        var port = TestPorts.Free();
        await using var mesh = await TestMesh.StartAsync(m => m.Service("orders", port: port));

        await mesh.Service("orders").StopAsync(hold: true);

        var held = await mesh.WaitForChangeAsync("orders", c => c is { From: ServiceState.Stopped, To: ServiceState.Stopped }, "the hold of the stopped service");
        Assert.Contains($"held: calls wait for the instance you start on port {port}", held.Detail);
        Assert.True(mesh.Status("orders").Held);
        Assert.Equal(0, mesh.Status("orders").Launches);
    }

    [Fact]
    public async Task A_held_service_whose_instance_you_never_start_answers_503_saying_so_and_the_next_call_waits_again()
    {
        var port = TestPorts.Free();
        await using var mesh = await TestMesh.StartAsync(m => m.Service("orders", port: port, extra: ["startTimeout: 1s"]));
        await mesh.Service("orders").StopAsync(hold: true);

        var problem = await Problem.GetAsync(mesh.Http, mesh.Url("orders"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
        Assert.Contains($"held for an instance you start (meshdev stop --hold), and nothing listened on 127.0.0.1:{port} within 1 s", problem.Detail);
        Assert.Contains("run 'meshdev start orders' to let the mesh launch it", problem.Detail);
        Assert.Equal(0, mesh.Service("orders").Launches);

        // No back-off: the developer may start it any moment, and the next call looks for it again at once.
        Assert.EndsWith("; the next call waits again", mesh.Changes("orders").Single(c => c.To == ServiceState.Failed).Detail);
        var ide = await ExternalTestService.StartAsync("orders", port);
        try
        {
            Assert.Equal(ide.Pid, (await mesh.WhoAmIAsync("orders")).Pid);
        }
        finally
        {
            await ide.DisposeAsync();
        }
    }
}
