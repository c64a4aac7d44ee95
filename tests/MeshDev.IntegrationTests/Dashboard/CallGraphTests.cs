using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using MeshDev.Calls;
using MeshDev.IntegrationTests.GrpcTests.Infrastructure;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.DashboardTests;

/// <summary>The observed call graph with real processes: who called is found from the connection, not told by the caller.</summary>
public sealed class CallGraphTests
{
    [Fact]
    public async Task A_call_from_one_launched_service_to_another_is_their_edge_and_the_tests_own_request_is_external()
    {
        await using var mesh = await WebCallsApi.StartAsync();

        var answer = await WebCallsApi.CallAsync(mesh);

        Assert.Equal("api", JsonDocument.Parse(answer).RootElement.GetProperty("name").GetString());
        var graph = await WebCallsApi.WaitForEdgesAsync(mesh, (CallGraph.External, "web", 1), ("web", "api", 1));
        Assert.Equal([CallGraph.External, "web", "api"], graph.Nodes);
        Assert.Contains(graph.Recent, r => r is { Caller: "web", Service: "api", Method: "GET", Path: "/whoami", Status: 200 });
        Assert.Contains(graph.Recent, r => r is { Caller: CallGraph.External, Service: "web", Path: "/callservice/api", Status: 200 });
        // The outer request waited for both launches, so it took longer than the inner one.
        Assert.True(graph.Recent.Single(r => r.Service == "web").DurationMs > graph.Recent.Single(r => r.Service == "api").DurationMs);
    }

    [Fact]
    public async Task A_connection_keeps_its_caller_for_every_request_on_it()
    {
        await using var mesh = await WebCallsApi.StartAsync();
        await WebCallsApi.CallAsync(mesh);
        await WebCallsApi.WaitForEdgesAsync(mesh, (CallGraph.External, "web", 1), ("web", "api", 1));

        // web's HttpClient reuses its connection to api's mesh port; the test's client reuses its own to web's.
        for (var i = 0; i < 5; i++)
        {
            await WebCallsApi.CallAsync(mesh);
        }

        await WebCallsApi.WaitForEdgesAsync(mesh, (CallGraph.External, "web", 6), ("web", "api", 6));
        Assert.Equal(6, mesh.Status("api").Requests);
    }

    [Fact]
    public async Task A_tcp_services_connection_is_one_call_listed_once_it_closes()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.TcpEcho("echo"));

        using (var client = new TcpClient())
        {
            await client.ConnectAsync("127.0.0.1", mesh.MeshPort("echo"));
            var stream = client.GetStream();
            await stream.WriteAsync("ping\n"u8.ToArray());
            var buffer = new byte[5];
            var read = 0;
            while (read < buffer.Length)
            {
                read += await stream.ReadAsync(buffer.AsMemory(read)).AsTask().WaitAsync(Eventually.Deadline);
            }

            Assert.Equal("ping\n", Encoding.UTF8.GetString(buffer));
            await WebCallsApi.WaitForEdgesAsync(mesh, (CallGraph.External, "echo", 1));
        }

        await Eventually.UntilAsync(() => mesh.Host.CallGraph.Snapshot().Recent.Any(r => r is { Caller: CallGraph.External, Service: "echo", Method: "TCP", Status: 0 }),
            "the closed connection among the recent requests");
    }

    [Fact]
    public async Task A_failed_launch_is_recorded_with_its_status()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("broken", flags: ["--exit-at-once", "3"]));

        using var response = await mesh.Http.GetAsync(mesh.Url("broken", "/orders"));

        Assert.Equal(503, (int)response.StatusCode);
        var graph = await WebCallsApi.WaitForEdgesAsync(mesh, (CallGraph.External, "broken", 1));
        Assert.Contains(graph.Recent, r => r is { Caller: CallGraph.External, Service: "broken", Path: "/orders", Status: 503 });
    }
}
