using System.Collections.Concurrent;
using MeshDev.Runtime;
using MeshDev.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// What a test's "pod" really serves: an in-process HTTP server on 127.0.0.1 that a port-forward through the stand-in
/// reaches (<see cref="ImageBehaviour.Runs"/>). <c>GET /</c> answers <c>hello from {name}</c>.
/// </summary>
internal sealed class TargetServer : IAsyncDisposable
{
    private readonly WebApplication _server;
    private readonly ConcurrentDictionary<string, byte> _connections = new();

    private TargetServer(WebApplication server) => _server = server;

    public ServiceEndpoint Endpoint { get; private set; }

    /// <summary>How many TCP connections have carried requests (a port-forward WebSocket is one connection).</summary>
    public int ConnectionCount => _connections.Count;

    public static async Task<TargetServer> StartAsync(string name)
    {
        var app = LoopbackKestrel.CreateBuilder().Build();
        var target = new TargetServer(app);
        app.Run(async context =>
        {
            target._connections.TryAdd(context.Connection.Id, 0);
            // A Content-Length rather than chunks, so a test reading the raw HTTP answer sees the body as is.
            var body = System.Text.Encoding.UTF8.GetBytes($"hello from {name}");
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body);
        });
        target.Endpoint = new ServiceEndpoint("127.0.0.1", await LoopbackKestrel.StartAsync(app));
        return target;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync();
        await _server.DisposeAsync();
    }
}
