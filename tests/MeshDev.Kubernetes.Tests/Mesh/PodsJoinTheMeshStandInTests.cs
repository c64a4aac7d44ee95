using System.Net;
using MeshDev.Activation;
using MeshDev.Calls;

namespace MeshDev.Kubernetes.Tests.Mesh;

/// <summary>
/// Issue 14 end to end, against the API-server stand-in (no real API server can run here; devtools/k8s-smoke.sh runs
/// the same on a real cluster): pods run their real processes in their own network namespaces, and reach the laptop's
/// services only through the link the laptop opened to their gateway sidecar.
/// </summary>
public sealed class PodsJoinTheMeshStandInTests
{
    private static async Task<string> GetAsync(Uri url)
    {
        using var response = await ClusterMesh.Http.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{url}: {(int)response.StatusCode} {body}");
        return body;
    }

    [Fact]
    public async Task StandIn_twenty_concurrent_cold_calls_from_a_pod_launch_the_stopped_laptop_process_once()
    {
        await using var mesh = await ClusterMesh.StartAsync(new Dictionary<string, string> { ["orders"] = "kubernetes", ["users"] = "process" });
        try
        {
            // The pod comes up (a cold call from the laptop), then calls a laptop service that is not running, 20 times at once.
            Assert.Equal("hello from orders", await GetAsync(mesh.Url("orders")));
            Assert.Equal(ServiceState.Stopped, mesh.Service("users").State);

            var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => GetAsync(mesh.Url("orders", "/callservice/users"))));

            Assert.All(answers, a => Assert.Contains("hello from users", a, StringComparison.Ordinal));
            Assert.Equal(1, mesh.Service("users").Launches);
            Assert.Equal(LaunchReasonKind.Call, mesh.Service("users").Reason?.Kind);
            Assert.Equal("orders", mesh.Service("users").Reason?.Service);
            var edge = mesh.Host.CallGraph.Snapshot().Edges.Single(e => e.To == "users");
            Assert.Equal("orders", edge.From);
            Assert.Equal(20, edge.Count);
            Assert.Contains("connected", mesh.Host.GetStatus().Services.Single(s => s.Name == "orders").Link, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"{e.Message}\norders log:\n{mesh.LogOf("orders")}\nusers log:\n{mesh.LogOf("users")}", e);
        }
    }
}
