using MeshDev.Activation;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests;

/// <summary>
/// Parallel pre-launch: when a service launches, the services it calls — declared in <c>calls:</c>, or seen in an
/// earlier run and kept in .meshdev/calls.json — launch beside it, so a cold call tree does not start one level at a time.
/// The order of launches is read from the mesh's own state changes, not from timing.
/// </summary>
public sealed class PrewarmTests
{
    /// <summary>The position of the first change of <paramref name="service"/> to <paramref name="to"/> among all changes.</summary>
    private static int IndexOf(TestMesh mesh, string service, ServiceState to) =>
        mesh.Changes().ToList().FindIndex(c => c.Service == service && c.To == to);

    [Fact]
    public async Task A_launching_service_launches_its_declared_callees_beside_it_and_says_why()
    {
        await using var mesh = await TestMesh.StartAsync(m => m
            .Service("front", extra: "calls: [back, stock]")
            .Service("back")
            .Service("stock"));

        Assert.Equal("hello from front", await mesh.GetStringAsync("front"));
        await mesh.WaitForStateAsync("back", ServiceState.Ready);
        await mesh.WaitForStateAsync("stock", ServiceState.Ready);

        foreach (var callee in new[] { "back", "stock" })
        {
            var launch = mesh.Changes(callee).First(c => c.To == ServiceState.Starting);
            Assert.Equal(LaunchReasonKind.Prewarm, launch.Reason?.Kind);
            Assert.Equal("front", launch.Reason?.Service);
            Assert.Equal("prewarmed for front", mesh.Status(callee).Reason?.Text);
            // Beside it, not after it: the callee began launching before front was ready.
            Assert.True(IndexOf(mesh, callee, ServiceState.Starting) < IndexOf(mesh, "front", ServiceState.Ready), string.Join("\n", mesh.Changes()));
        }
    }

    [Fact]
    public async Task With_prewarm_off_or_a_service_that_opts_out_callees_wait_for_their_first_call()
    {
        await using var mesh = await TestMesh.StartAsync(m => m
            .Mesh("prewarm: off")
            .Service("front", extra: "calls: [back]")
            .Service("back"));
        await using var optedOut = await TestMesh.StartAsync(m => m
            .Service("front", extra: "calls: [db]")
            .Service("db", extra: "prewarm: false"));

        Assert.Equal("hello from front", await mesh.GetStringAsync("front"));
        Assert.Equal("hello from front", await optedOut.GetStringAsync("front"));

        // A pre-launch would have begun when front began launching, long before its answer.
        Assert.Equal(0, mesh.Service("back").Launches);
        Assert.Equal(0, optedOut.Service("db").Launches);
    }

    [Fact]
    public async Task Calls_seen_in_one_run_are_kept_and_prewarm_the_next_run()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("front").Service("back"));
        Assert.Contains("hello from back", await mesh.GetStringAsync("front", "/callservice/back"), StringComparison.Ordinal);
        await Eventually.UntilAsync(
            () => mesh.Host.CallGraph.Snapshot().Edges.Any(e => e.From == "front" && e.To == "back"),
            new Lazy<string>(() => "front's call to back is attributed"));

        await mesh.RestartAsync();

        // The edge is back before any traffic, and front's launch takes back with it.
        Assert.Contains(mesh.Host.CallGraph.Snapshot().Edges, e => e.From == "front" && e.To == "back" && e.Count >= 1);
        Assert.True(File.Exists(Path.Combine(mesh.Directory, ".meshdev", "calls.json")));
        Assert.Equal("hello from front", await mesh.GetStringAsync("front"));
        await mesh.WaitForStateAsync("back", ServiceState.Ready);
        Assert.Equal(LaunchReasonKind.Prewarm, mesh.Changes("back").First(c => c.To == ServiceState.Starting).Reason?.Kind);
    }
}
