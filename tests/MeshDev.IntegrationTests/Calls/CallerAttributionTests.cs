using MeshDev.Calls;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.Calls;

/// <summary>
/// Every call from a launched service is its own on the call graph, however the caller connects: python's urllib and
/// curl open a connection per request and close it at once (the kernel names the caller by the socket's cgroup as the
/// connection is accepted), .NET keeps connections open; a call from outside every service stays external.
/// </summary>
public sealed class CallerAttributionTests
{
    private static string CallerScript => Path.Combine(AppContext.BaseDirectory, "Calls", "one_shot_caller.py");

    private static long Edge(TestMesh mesh, string from, string to) =>
        mesh.Host.CallGraph.Snapshot().Edges.SingleOrDefault(e => e.From == from && e.To == to)?.Count ?? 0;

    [Fact]
    public async Task One_shot_connections_from_urllib_and_curl_are_each_counted_for_the_service_that_made_them()
    {
        await using var mesh = await TestMesh.StartAsync(m => m
            .Service("front", command: "python3", extra: [$"args: [\"{CallerScript}\", \"${{PORT}}\", back]"])
            .Service("back"));
        Assert.Equal("20 ok", await mesh.GetStringAsync("front", "/urllib?n=20"));
        Assert.Equal("10 ok", await mesh.GetStringAsync("front", "/curl?n=10"));

        Assert.Equal(30, Edge(mesh, "front", "back"));
        Assert.Equal(0, Edge(mesh, CallGraph.External, "back"));
        await Eventually.UntilAsync(() => Edge(mesh, CallGraph.External, "front") == 2, new Lazy<string>(() => "the test's two calls to front count as external"));
    }

    [Fact]
    public async Task Kept_alive_connections_are_counted_for_their_service_and_calls_from_outside_stay_external()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("front").Service("back"));
        var backUrl = Uri.EscapeDataString($"http://127.0.0.1:{mesh.MeshPort("back")}/");

        for (var i = 0; i < 10; i++)
        {
            Assert.Contains("hello from back", await mesh.GetStringAsync("front", $"/call?url={backUrl}"), StringComparison.Ordinal);
        }

        Assert.Equal("hello from back", await mesh.GetStringAsync("back"));
        Assert.Equal(10, Edge(mesh, "front", "back"));
        // The test's own connection belongs to no service's cgroup: it is looked up in the background, and is external.
        await Eventually.UntilAsync(() => Edge(mesh, CallGraph.External, "back") == 1, new Lazy<string>(() => "the test's call to back counts as external"));
    }
}
