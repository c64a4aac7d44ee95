using Grpc.Core;
using MeshDev.GrpcTest.V1;
using MeshDev.IntegrationTests.GrpcTests.Infrastructure;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.GrpcTests;

/// <summary>Grpc.Net.Client (what a .NET service uses) calls a cold gRPC service through its mesh port, in every call shape.</summary>
public sealed class GrpcDotnetClientTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Unary_call_launches_the_cold_service_once_and_carries_metadata_headers_and_trailers(bool sharedPort)
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo"));
        using var client = new DotnetGrpcClient(sharedPort ? mesh.SharedPort : mesh.MeshPort("echo"));

        using var call = client.Echo.SayAsync(
            new EchoRequest { Text = "hello" },
            new Metadata { { "x-test", "from-dotnet" } },
            DotnetGrpcClient.Deadline);
        var reply = await call.ResponseAsync;
        var headers = await call.ResponseHeadersAsync;

        Assert.Equal("hello", reply.Text);
        Assert.Contains(mesh.FindTaggedProcesses(), process => process.Pid == reply.Pid);
        Assert.Equal("from-dotnet", headers.GetValue("x-test"));
        Assert.Equal("done", call.GetTrailers().GetValue("x-trailer"));
        Assert.Equal(1, mesh.Service("echo").Launches);
    }

    [Fact]
    public async Task Two_client_connections_reach_the_service_over_two_connections_and_each_clients_calls_over_one()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo"));
        // Launched first: a connection that comes during the launch moves to a new one after its first call (GrpcRelayTests).
        using (var launcher = new DotnetGrpcClient(mesh.MeshPort("echo")))
        {
            await launcher.Echo.SayAsync(new EchoRequest { Text = "launch" }, deadline: DotnetGrpcClient.Deadline);
        }

        using var first = new DotnetGrpcClient(mesh.MeshPort("echo"));
        using var second = new DotnetGrpcClient(mesh.MeshPort("echo"));

        // The peer is the service's view of the connection the call came on: the mesh's upstream connection.
        async Task<string[]> PeersAsync(DotnetGrpcClient client) => await Task.WhenAll(Enumerable.Range(0, 4).Select(async i =>
            (await client.Echo.SayAsync(new EchoRequest { Text = $"call {i}" }, deadline: DotnetGrpcClient.Deadline)).Peer));
        var firstPeers = (await PeersAsync(first)).Concat(await PeersAsync(first)).Distinct().ToArray();
        var secondPeers = (await PeersAsync(second)).Distinct().ToArray();

        Assert.Single(firstPeers);
        Assert.Single(secondPeers);
        Assert.NotEqual(firstPeers[0], secondPeers[0]);
        Assert.Equal(1, mesh.Service("echo").Launches);
    }

    [Fact]
    public async Task Large_messages_both_ways_launch_the_cold_service_once_and_arrive_intact()
    {
        const int Size = 5 * 1024 * 1024;
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo"));
        using var client = new DotnetGrpcClient(mesh.MeshPort("echo"));
        var text = new string('x', Size);

        var reply = await client.Echo.SayAsync(new EchoRequest { Text = text, PayloadBytes = Size }, deadline: DotnetGrpcClient.Deadline);

        Assert.Equal(text, reply.Text);
        Assert.Equal(Size, reply.Payload.Length);
        var payload = reply.Payload.Span;
        for (var i = 0; i < payload.Length; i++)
        {
            Assert.True(payload[i] == (byte)(i % 251), $"payload byte {i} is {payload[i]}, not {i % 251}");
        }

        Assert.Equal(1, mesh.Service("echo").Launches);
    }

    [Fact]
    public async Task Server_streaming_call_launches_the_cold_service_once_and_gets_every_message()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo"));
        using var client = new DotnetGrpcClient(mesh.MeshPort("echo"));

        using var call = client.Echo.Count(new CountRequest { Count = 5, IntervalMs = 10 }, deadline: DotnetGrpcClient.Deadline);
        var values = new List<int>();
        await foreach (var reply in call.ResponseStream.ReadAllAsync())
        {
            values.Add(reply.N);
        }

        Assert.Equal([1, 2, 3, 4, 5], values);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal(1, mesh.Service("echo").Launches);
    }

    [Fact]
    public async Task Client_streaming_call_launches_the_cold_service_once_and_gets_the_total()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo"));
        using var client = new DotnetGrpcClient(mesh.MeshPort("echo"));

        using var call = client.Echo.Sum(deadline: DotnetGrpcClient.Deadline);
        for (var value = 1; value <= 10; value++)
        {
            await call.RequestStream.WriteAsync(new Num { Value = value });
        }

        await call.RequestStream.CompleteAsync();
        var total = await call.ResponseAsync;

        Assert.Equal(55, total.Sum);
        Assert.Equal(10, total.Count);
        Assert.Equal(1, mesh.Service("echo").Launches);
    }

    [Fact]
    public async Task Bidirectional_call_launches_the_cold_service_once_and_gets_each_echo_before_sending_the_next()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo"));
        using var client = new DotnetGrpcClient(mesh.MeshPort("echo"));

        using var call = client.Echo.Chat(deadline: DotnetGrpcClient.Deadline);
        var echoes = new List<string>();
        // Ping-pong: a proxy that held the request stream back until it ended would never deliver an echo here.
        foreach (var text in new[] { "one", "two", "three" })
        {
            await call.RequestStream.WriteAsync(new ChatMessage { Text = text });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None), $"no echo of '{text}'");
            echoes.Add(call.ResponseStream.Current.Text);
        }

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None), "more messages than were sent");

        Assert.Equal(["one", "two", "three"], echoes);
        Assert.Equal(1, mesh.Service("echo").Launches);
    }
}
