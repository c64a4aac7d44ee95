using System.Net;
using System.Net.Sockets;
using MeshDev.Runtime.Tests;

namespace MeshDev.Calls.Tests;

/// <summary>Connections get their caller in the background; their calls are counted at once and attributed when it is known.</summary>
public sealed class CallerTrackerTests : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public CallerTrackerTests() => _listener.Start();

    public void Dispose() => _listener.Dispose();

    [Fact]
    public async Task A_tracked_connection_gets_its_caller_and_its_earlier_calls_move_to_that_edge()
    {
        await using var child = await CallingProcess.BashAsync(_listener);
        var graph = new CallGraph(["orders"]);
        await using var tracker = new CallerTracker(graph, () => [CallerRoot.Process("frontend", child.Pid)]);

        var connection = tracker.Track(child.Connection.Client, child.Connection.Server);
        var started = connection.BeginCall("orders");
        connection.EndCall("orders", "GET", "/", 200, started);
        await Wait.UntilAsync(() => connection.Caller is not null, "the caller to be looked up");

        Assert.Equal("frontend", connection.Caller);
        Assert.Equal([("frontend", "orders", 1L)], graph.Snapshot().Edges.Select(e => (e.From, e.To, e.Count)));
        Assert.Equal("frontend", graph.Snapshot().Recent.Single().Caller);
    }

    [Fact]
    public async Task A_connection_that_is_not_from_loopback_is_external_at_once()
    {
        var graph = new CallGraph(["orders"]);
        await using var tracker = new CallerTracker(graph, () => []);

        var connection = tracker.Track(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 40000), new IPEndPoint(IPAddress.Loopback, 15000));

        Assert.Equal(CallGraph.External, connection.Caller);
    }
}
