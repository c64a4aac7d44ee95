using System.Net.Sockets;
using Grpc.Core;
using MeshDev.Activation;
using MeshDev.GrpcTest.V1;
using MeshDev.IntegrationTests.GrpcTests.Infrastructure;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.GrpcTests;

/// <summary>An open gRPC stream or TCP connection is activity: the service is not stopped for idleness under it.</summary>
public sealed class GrpcActivityTests
{
    [Fact]
    public async Task Open_gRPC_stream_keeps_the_service_alive_past_its_idle_timeout()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo", null, "idleTimeout: 1s"));
        using var client = new DotnetGrpcClient(mesh.MeshPort("echo"));

        // Three messages 1.5 s apart: each gap is longer than the idle timeout.
        using var call = client.Echo.Count(new CountRequest { Count = 3, IntervalMs = 1500 }, deadline: DotnetGrpcClient.Deadline);
        var values = new List<int>();
        await foreach (var reply in call.ResponseStream.ReadAllAsync())
        {
            values.Add(reply.N);
            Assert.DoesNotContain(mesh.Changes("echo"), c => c.To is ServiceState.Stopping or ServiceState.Stopped);
        }

        Assert.Equal([1, 2, 3], values);
        Assert.Equal(1, mesh.Service("echo").Launches);
        var stop = await mesh.WaitForChangeAsync("echo", c => c.To == ServiceState.Stopped, "the idle stop after the stream");
        Assert.Contains("idle", stop.Detail);
    }

    [Fact]
    public async Task Open_TCP_connection_keeps_the_service_alive_past_its_idle_timeout()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.TcpEcho("cache", null, "idleTimeout: 1s"));
        using (var connection = new TcpClient())
        {
            await connection.ConnectAsync("127.0.0.1", mesh.MeshPort("cache"));
            var stream = connection.GetStream();
            for (var i = 0; i < 2; i++)
            {
                var message = System.Text.Encoding.ASCII.GetBytes($"ping {i}\n");
                await stream.WriteAsync(message);
                var echoed = new byte[message.Length];
                await stream.ReadExactlyAsync(echoed);
                Assert.Equal(message, echoed);
                await Task.Delay(TimeSpan.FromSeconds(1.5)); // quiet for longer than the idle timeout, connection open
            }

            Assert.DoesNotContain(mesh.Changes("cache"), c => c.To is ServiceState.Stopping or ServiceState.Stopped);
        }

        var stop = await mesh.WaitForChangeAsync("cache", c => c.To == ServiceState.Stopped, "the idle stop after the connection closed");
        Assert.Contains("idle", stop.Detail);
    }
}
