using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;
using MeshDev.Daemon.Hosting;

namespace MeshDev.Daemon.Control;

/// <summary>
/// Lets a control call through only with <c>authorization: Bearer &lt;token&gt;</c> carrying this mesh's token, which
/// is in <c>daemon.json</c>, a file only its owner can read: other users of the machine reach the loopback port too,
/// but cannot drive the mesh.
/// </summary>
internal sealed class ControlTokenInterceptor(MeshHost host) : Interceptor
{
    private const string Scheme = "Bearer ";

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, responseStream, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(requestStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Authenticate(ServerCallContext context)
    {
        if (!Matches(context.RequestHeaders.GetValue("authorization"), host.Info?.Token))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                $"missing or wrong token: send 'authorization: Bearer <token>' with the token from {host.State.DaemonFile} (readable only by the user who started the mesh)"));
        }
    }

    private static bool Matches(string? header, string? token)
    {
        if (token is null || header is null || !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // Constant time: how long a wrong guess takes says nothing about how much of it was right.
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim()), Encoding.UTF8.GetBytes(token));
    }
}
