using System.Net;
using MeshDev.Activation;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests;

/// <summary>The first call to a stopped service launches it (once, however many callers) and gets its answer.</summary>
public sealed class ColdStartTests
{
    [Fact]
    public async Task Cold_request_on_the_mesh_port_launches_the_service_and_returns_its_answer()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("orders"));
        Assert.Equal(ServiceState.Stopped, mesh.Service("orders").State);
        Assert.Empty(mesh.FindTaggedProcesses());

        var body = await mesh.GetStringAsync("orders", "/");

        Assert.Equal("hello from orders", body);
        var status = mesh.Status("orders");
        Assert.Equal("ready", status.State);
        Assert.Equal(1, status.Launches);
        Assert.NotNull(status.Endpoint);
        Assert.StartsWith("127.0.0.1:", status.Endpoint);

        // The endpoint is where the launched process itself listens.
        var whoami = await mesh.WhoAmIAsync("orders");
        Assert.Equal($"127.0.0.1:{whoami.Port}", status.Endpoint);
        Assert.Equal([whoami.Pid], mesh.FindTaggedProcesses().Select(p => p.Pid));
    }

    [Fact]
    public async Task Hundred_concurrent_cold_requests_launch_the_service_exactly_once_and_all_succeed()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("orders"));
        var url = mesh.Url("orders", "/whoami");

        // Each request on its own connection, all sent before the service can possibly be ready.
        var responses = await Task.WhenAll(Enumerable.Range(0, 100).Select(async _ =>
        {
            using var response = await mesh.Http.GetAsync(url);
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var pids = responses.Select(r => System.Text.Json.JsonDocument.Parse(r.Body).RootElement.GetProperty("pid").GetInt32()).Distinct().ToArray();
        Assert.Single(pids);
        Assert.Equal(1, mesh.Service("orders").Launches);
        Assert.Single(mesh.Changes("orders"), c => c.To == ServiceState.Starting);
        var processes = mesh.FindTaggedProcesses();
        Assert.Single(processes);
        Assert.Equal(pids[0], processes[0].Pid);
    }
}
