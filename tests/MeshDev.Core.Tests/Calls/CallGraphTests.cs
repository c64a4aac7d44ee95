using Microsoft.Extensions.Time.Testing;

namespace MeshDev.Calls.Tests;

/// <summary>Counting calls per caller → service, attributing a connection's calls once its caller is known, the ring of recent requests.</summary>
public sealed class CallGraphTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);

    private CallGraph NewGraph(int recentCapacity = 8) => new(["frontend", "orders", "inventory"], _time, recentCapacity);

    private static void Call(CallerConnection connection, string service, string path = "/", int status = 200)
    {
        var started = connection.BeginCall(service);
        connection.EndCall(service, "GET", path, status, started);
    }

    [Fact]
    public void Calls_are_counted_per_caller_and_service_with_when_they_were_last_seen()
    {
        var graph = NewGraph();
        var frontend = graph.NewConnection("frontend");
        var curl = graph.NewConnection(CallGraph.External);

        Call(curl, "frontend");
        Call(frontend, "orders");
        _time.Advance(TimeSpan.FromSeconds(2));
        Call(frontend, "orders");
        Call(frontend, "inventory");
        Call(graph.NewConnection("frontend"), "orders"); // another connection of the same caller adds to the same edge

        var snapshot = graph.Snapshot();
        Assert.Equal([CallGraph.External, "frontend", "orders", "inventory"], snapshot.Nodes);
        Assert.Equal(
            [
                new CallEdge(CallGraph.External, "frontend", 1, Start),
                new CallEdge("frontend", "orders", 3, Start.AddSeconds(2)),
                new CallEdge("frontend", "inventory", 1, Start.AddSeconds(2)),
            ],
            snapshot.Edges);
    }

    [Fact]
    public void Only_the_services_on_an_edge_and_the_running_ones_are_nodes_of_the_called_graph_in_manifest_order()
    {
        var graph = new CallGraph(["frontend", "orders", "inventory", "billing", "never-called"], _time);
        Call(graph.NewConnection("frontend"), "inventory");

        var snapshot = graph.Snapshot();
        var called = snapshot.OnlyCalled(running: ["billing", "frontend"]);

        Assert.Equal(["frontend", "inventory", "billing"], called.Nodes);
        Assert.Equal(snapshot.Edges, called.Edges);
        Assert.Equal([CallGraph.External, "frontend", "orders", "inventory", "billing", "never-called"], snapshot.Nodes);

        Call(graph.NewConnection(CallGraph.External), "orders");
        Assert.Equal([CallGraph.External, "frontend", "orders", "inventory"], graph.Snapshot().OnlyCalled(running: []).Nodes);
    }

    [Fact]
    public void Calls_made_before_the_caller_is_known_are_attributed_to_it_once_it_is()
    {
        var graph = NewGraph();
        var connection = graph.NewConnection();
        Call(connection, "orders");
        Call(connection, "orders");
        Assert.Empty(graph.Snapshot().Edges);
        Assert.All(graph.Snapshot().Recent, r => Assert.Equal(CallGraph.Unresolved, r.Caller));

        var before = graph.Version;
        connection.Resolve("frontend");
        Call(connection, "orders");

        Assert.NotEqual(before, graph.Version);
        var snapshot = graph.Snapshot();
        Assert.Equal([new CallEdge("frontend", "orders", 3, Start)], snapshot.Edges);
        Assert.Equal(["frontend", "frontend", "frontend"], snapshot.Recent.Select(r => r.Caller));
    }

    [Fact]
    public void Recent_requests_are_the_latest_newest_first_with_their_status_and_duration()
    {
        var graph = NewGraph(recentCapacity: 4);
        var connection = graph.NewConnection(CallGraph.External);
        for (var i = 1; i <= 6; i++)
        {
            var started = connection.BeginCall("orders");
            _time.Advance(TimeSpan.FromMilliseconds(i));
            connection.EndCall("orders", i % 2 == 0 ? "POST" : "GET", $"/orders/{i}", 200 + i, started);
        }

        var recent = graph.Snapshot().Recent;

        Assert.Equal(["/orders/6", "/orders/5", "/orders/4", "/orders/3"], recent.Select(r => r.Path));
        Assert.Equal(new RecentRequest(Start.AddMilliseconds(15), CallGraph.External, "orders", "POST", "/orders/6", 206, 6), recent[0]);
        Assert.Equal(2, graph.Snapshot(recent: 2).Recent.Count);
    }

    [Fact]
    public void A_request_that_ended_late_is_listed_where_it_began()
    {
        var graph = NewGraph();
        var connection = graph.NewConnection(CallGraph.External);
        var slow = connection.BeginCall("orders");
        _time.Advance(TimeSpan.FromSeconds(1));
        Call(connection, "orders", "/quick");
        _time.Advance(TimeSpan.FromSeconds(1));
        connection.EndCall("orders", "GET", "/slow", 200, slow);

        Assert.Equal(["/quick", "/slow"], graph.Snapshot().Recent.Select(r => r.Path));
    }

    [Fact]
    public async Task A_waiter_wakes_on_the_next_change_and_not_before()
    {
        var graph = NewGraph();
        var connection = graph.NewConnection("frontend");
        var seen = graph.Version;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var waiting = graph.WaitForChangeAsync(seen, timeout.Token);
        Assert.False(waiting.IsCompleted);
        connection.BeginCall("orders");
        await waiting;

        Assert.True(graph.WaitForChangeAsync(seen, timeout.Token).IsCompleted);
    }

    [Fact]
    public async Task Concurrent_calls_on_many_threads_are_all_counted()
    {
        var graph = new CallGraph(["orders"], TimeProvider.System, recentCapacity: 64);
        const int Threads = 8, Calls = 20_000;

        await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
        {
            var connection = graph.NewConnection(t % 2 == 0 ? CallGraph.External : "orders");
            for (var i = 0; i < Calls; i++)
            {
                Call(connection, "orders");
            }
        })));

        var snapshot = graph.Snapshot(recent: 64);
        Assert.Equal(Threads * Calls, snapshot.Edges.Sum(e => e.Count));
        Assert.Equal(64, snapshot.Recent.Count);
    }
}
