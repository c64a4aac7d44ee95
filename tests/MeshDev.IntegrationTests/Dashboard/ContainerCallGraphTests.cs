using MeshDev.Calls;
using MeshDev.IntegrationTests.Infrastructure;
using MeshDev.Testing.Docker;

namespace MeshDev.IntegrationTests.DashboardTests;

/// <summary>A container (host network) calling through the mesh is named by its process as the engine reports it (State.Pid).</summary>
[Collection("docker")]
public sealed class ContainerCallGraphTests(TestImages images)
{
    [Fact]
    public async Task A_call_from_a_container_is_the_container_services_edge()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Container("front", images.DotnetAot).Service("back"));

        var call = await mesh.GetStringAsync("front", $"/call?url={Uri.EscapeDataString($"http://127.0.0.1:{mesh.MeshPort("back")}/")}");

        Assert.StartsWith("front -> hello from back", call);
        await WebCallsApi.WaitForEdgesAsync(mesh, (CallGraph.External, "front", 1), ("front", "back", 1));
    }
}
