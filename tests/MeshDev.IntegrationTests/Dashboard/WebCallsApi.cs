using MeshDev.Calls;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.DashboardTests;

/// <summary>
/// The scene the call graph tests share: two real TestServices, <c>web</c> and <c>api</c>; one request from the test (an
/// external caller) to <c>web</c>, which calls <c>api</c> through the mesh at its discovery address. Both launch on that call.
/// </summary>
internal static class WebCallsApi
{
    public static Task<TestMesh> StartAsync() => TestMesh.StartAsync(m => m.Service("web").Service("api"));

    /// <summary>external → web → api; returns api's answer as web relayed it.</summary>
    public static Task<string> CallAsync(TestMesh mesh) => mesh.GetStringAsync("web", "/callservice/api?path=/whoami");

    /// <summary>Waits until the graph has exactly these edges (callers are looked up in the background, so not at once).</summary>
    public static async Task<CallGraphSnapshot> WaitForEdgesAsync(TestMesh mesh, params (string From, string To, long Count)[] edges)
    {
        CallGraphSnapshot graph = mesh.Host.CallGraph.Snapshot();
        await Eventually.UntilAsync(
            () => (graph = mesh.Host.CallGraph.Snapshot()).Edges.Select(e => (e.From, e.To, e.Count)).SequenceEqual(edges),
            new Lazy<string>(() => $"edges {string.Join(", ", edges)}; the graph has {string.Join(", ", graph.Edges.Select(e => $"{e.From} -> {e.To} x{e.Count}"))}"));
        return graph;
    }
}
