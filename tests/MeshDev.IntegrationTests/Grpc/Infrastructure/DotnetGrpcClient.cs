using Grpc.Net.Client;
using MeshDev.GrpcTest.V1;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.GrpcTests.Infrastructure;

/// <summary>Grpc.Net.Client for the GrpcTestService through a mesh port: h2c (http://), no proxy, 16 MiB messages.</summary>
internal sealed class DotnetGrpcClient : IDisposable
{
    private const int MaxMessage = 16 * 1024 * 1024;
    private readonly GrpcChannel _channel;

    public DotnetGrpcClient(int port)
    {
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { UseProxy = false },
            MaxReceiveMessageSize = MaxMessage,
            MaxSendMessageSize = MaxMessage,
        });
        Echo = new Echo.EchoClient(_channel);
    }

    public Echo.EchoClient Echo { get; }

    /// <summary>A deadline for calls that should succeed: it only ends a hang.</summary>
    public static DateTime Deadline => DateTime.UtcNow + Eventually.Deadline;

    public void Dispose() => _channel.Dispose();
}
