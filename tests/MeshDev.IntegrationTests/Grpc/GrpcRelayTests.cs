using Grpc.Core;
using MeshDev.Activation;
using MeshDev.Calls;
using MeshDev.GrpcTest.V1;
using MeshDev.IntegrationTests.GrpcTests.Infrastructure;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.GrpcTests;

/// <summary>
/// A gRPC client's connection to the mesh port of a ready gRPC service is relayed frame for frame to a connection of the
/// service's own (GrpcRelay): the service sees the client's own <c>:authority</c> (the mesh port), where the HTTP path
/// sends the service's address. What the HTTP path does per call still happens: counts, recent requests with the path,
/// in flight, the launch after a stop, UNAVAILABLE when the service dies.
/// </summary>
public sealed class GrpcRelayTests
{
    private const string SayPath = "/meshdev.test.v1.Echo/Say";

    [Fact]
    public async Task A_connection_to_the_ready_service_is_relayed_and_each_call_counts_with_its_path_and_status()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo"));
        var port = mesh.MeshPort("echo");
        await WarmUpAsync(port);
        var before = mesh.Service("echo").Requests;

        using var client = new DotnetGrpcClient(port);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal($"127.0.0.1:{port}", await SayAsync(client, $"call {i}"));
        }

        Assert.Equal(before + 5, mesh.Service("echo").Requests);
        Assert.Equal(0, mesh.Service("echo").InFlight);
        await Eventually.UntilAsync(
            () => mesh.Host.CallGraph.Snapshot().Recent.Count(r => r is { Caller: CallGraph.External, Service: "echo", Method: "POST", Path: SayPath, Status: 200 }) == 6,
            "the warm-up call and the five relayed calls among the recent requests, from the test process, with path and status");
    }

    [Fact]
    public async Task A_connection_that_came_while_the_service_was_cold_moves_to_the_relay_after_its_first_call()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo"));
        var port = mesh.MeshPort("echo");
        using var client = new DotnetGrpcClient(port);

        // The first call launches the service on the HTTP path (the service's own address as :authority); its GOAWAY
        // sends the client's next call over a new connection, which is relayed.
        Assert.NotEqual($"127.0.0.1:{port}", await SayAsync(client, "cold"));
        Assert.Equal($"127.0.0.1:{port}", await SayAsync(client, "warm"));
        Assert.Equal(1, mesh.Service("echo").Launches);
    }

    [Fact]
    public async Task After_the_service_stops_a_relayed_clients_next_call_launches_it_again_on_a_new_connection()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo"));
        var port = mesh.MeshPort("echo");
        await WarmUpAsync(port);
        using var client = new DotnetGrpcClient(port);
        Assert.Equal($"127.0.0.1:{port}", await SayAsync(client, "relayed"));

        await mesh.Service("echo").StopAsync();

        // The relay tells the client GOAWAY (the service closed its side, or the stream found it stopped): the call goes
        // on a new connection, held by the mesh while the service launches again.
        Assert.NotEqual($"127.0.0.1:{port}", await SayAsync(client, "again"));
        Assert.Equal(2, mesh.Service("echo").Launches);
    }

    [Fact]
    public async Task A_service_that_dies_during_a_relayed_stream_ends_the_call_UNAVAILABLE_naming_the_service()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo"));
        var port = mesh.MeshPort("echo");
        await WarmUpAsync(port);
        using var client = new DotnetGrpcClient(port);
        Assert.Equal($"127.0.0.1:{port}", await SayAsync(client, "relayed"));
        using var call = client.Echo.Count(new CountRequest { Count = 1000, IntervalMs = 50 }, deadline: DotnetGrpcClient.Deadline);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(1, mesh.Service("echo").InFlight);

        TaggedProcesses.Kill(Assert.Single(mesh.FindTaggedProcesses()).Pid);
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        });

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("service 'echo' ended the call before its status", error.Status.Detail);
        await Eventually.UntilAsync(() => mesh.Service("echo").InFlight == 0, "the call no longer in flight");
    }

    [Fact]
    public async Task An_open_relayed_stream_keeps_the_service_alive_past_its_idle_timeout()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo", null, "idleTimeout: 2s"));
        var port = mesh.MeshPort("echo");
        await WarmUpAsync(port);
        using var client = new DotnetGrpcClient(port);
        Assert.Equal($"127.0.0.1:{port}", await SayAsync(client, "relayed"));

        // Three messages 2.5 s apart on the relayed connection: each gap is longer than the idle timeout.
        using var call = client.Echo.Count(new CountRequest { Count = 3, IntervalMs = 2500 }, deadline: DotnetGrpcClient.Deadline);
        var values = new List<int>();
        await foreach (var reply in call.ResponseStream.ReadAllAsync())
        {
            values.Add(reply.N);
            Assert.DoesNotContain(mesh.Changes("echo"), c => c.To is ServiceState.Stopping or ServiceState.Stopped);
        }

        Assert.Equal([1, 2, 3], values);
        var stop = await mesh.WaitForChangeAsync("echo", c => c.To == ServiceState.Stopped, "the idle stop after the stream");
        Assert.Contains("idle", stop.Detail);
        Assert.Equal(1, mesh.Service("echo").Launches);
    }

    [Theory]
    [MemberData(nameof(GrpcNodeClientTests.CallShapes), MemberType = typeof(GrpcNodeClientTests))]
    public async Task Every_call_shape_of_an_independent_client_works_through_the_relay(string scenario)
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo"));
        await WarmUpAsync(mesh.MeshPort("echo"));

        var result = await NodeClient.RunAsync(mesh.MeshPort("echo"), scenario);

        GrpcNodeClientTests.AssertSucceeded(mesh, scenario, result);
        Assert.Equal(1, mesh.Service("echo").Launches);
    }

    [Fact]
    public async Task A_call_cancelled_on_a_relayed_connection_is_CANCELLED_and_the_backend_sees_the_cancellation()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo"));
        await WarmUpAsync(mesh.MeshPort("echo"));

        // The client's RST_STREAM passes to the service as it was sent.
        var result = await NodeClient.RunAsync(mesh.MeshPort("echo"), "cancel", "--cancel-after-ms", "100");

        Assert.True(result.Code == 1, $"expected CANCELLED: {result}");
        Assert.True(result.Bool("hangingBeforeCancel"), $"the Hang call never reached the backend: {result}");
        using var client = new DotnetGrpcClient(mesh.MeshPort("echo"));
        var cancelled = 0;
        await Eventually.UntilAsync(
            () => (cancelled = client.Echo.CancelledCount(new MeshDev.GrpcTest.V1.Empty(), deadline: DotnetGrpcClient.Deadline).N) == 1,
            $"the backend to see the cancellation of Hang (CancelledCount is {cancelled})");
        await Eventually.UntilAsync(() => mesh.Service("echo").InFlight == 0, "the cancelled call no longer in flight");
    }

    [Fact]
    public async Task A_service_with_a_requestTimeout_is_served_by_the_HTTP_path_which_times_its_calls()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo", null, "requestTimeout: 30s"));
        var port = mesh.MeshPort("echo");
        await WarmUpAsync(port);
        using var client = new DotnetGrpcClient(port);

        Assert.NotEqual($"127.0.0.1:{port}", await SayAsync(client, "not relayed"));
    }

    /// <summary>Launches the service with a call of another client, so that the next connections find it ready.</summary>
    private static async Task WarmUpAsync(int port)
    {
        using var client = new DotnetGrpcClient(port);
        await SayAsync(client, "warm-up");
    }

    /// <summary>One Say call that must succeed; returns the <c>:authority</c> the service saw.</summary>
    private static async Task<string> SayAsync(DotnetGrpcClient client, string text)
    {
        using var call = client.Echo.SayAsync(new EchoRequest { Text = text }, deadline: DotnetGrpcClient.Deadline);
        Assert.Equal(text, (await call.ResponseAsync).Text);
        return call.GetTrailers().GetValue("x-authority") ?? throw new InvalidOperationException("no x-authority trailer");
    }
}
