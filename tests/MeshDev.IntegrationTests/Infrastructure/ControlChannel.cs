using Grpc.Net.Client;

namespace MeshDev.IntegrationTests.Infrastructure;

/// <summary>A gRPC channel for calling a mesh's control API (or trying to, on other ports) directly, never through a proxy.</summary>
internal static class ControlChannel
{
    public static GrpcChannel For(string address) =>
        GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { UseProxy = false }, DisposeHttpClient = true });
}
