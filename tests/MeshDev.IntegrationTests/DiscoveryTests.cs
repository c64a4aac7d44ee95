using System.Text.Json;
using MeshDev.Activation;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests;

/// <summary>Launched services find their dependencies' mesh ports in their environment; calling one launches it lazily.</summary>
public sealed class DiscoveryTests
{
    [Fact]
    public async Task Service_calls_its_dependency_through_the_discovery_environment_which_launches_it_on_demand()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("front").Service("back"));
        var backUrl = $"http://127.0.0.1:{mesh.MeshPort("back")}";

        Assert.Equal(backUrl, await mesh.GetStringAsync("front", "/env/services__back__http__0"));
        Assert.Equal(backUrl, await mesh.GetStringAsync("front", "/env/BACK_HTTP"));
        Assert.Equal(ServiceState.Stopped, mesh.Service("back").State);
        Assert.Equal(0, mesh.Service("back").Launches);

        // front makes the call itself, to the address its environment gave it.
        var answer = await mesh.GetStringAsync("front", $"/call?url={Uri.EscapeDataString(backUrl + "/whoami")}");

        var whoami = JsonDocument.Parse(answer).RootElement;
        Assert.Equal("back", whoami.GetProperty("name").GetString());
        Assert.Equal("ready", mesh.Status("front").State);
        Assert.Equal("ready", mesh.Status("back").State);
        Assert.Equal(1, mesh.Status("front").Launches);
        Assert.Equal(1, mesh.Status("back").Launches);
        Assert.Contains(mesh.FindTaggedProcesses(), p => p.Pid == whoami.GetProperty("pid").GetInt32());
    }

    [Fact]
    public async Task A_service_name_with_a_dash_keeps_its_aspire_form_variable_which_a_posix_sh_would_drop()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("front").Service("order-events"));
        var url = $"http://127.0.0.1:{mesh.MeshPort("order-events")}";

        Assert.Equal(url, await mesh.GetStringAsync("front", "/env/services__order-events__http__0"));
        Assert.Equal(url, await mesh.GetStringAsync("front", "/env/ORDER_EVENTS_HTTP"));
    }
}
