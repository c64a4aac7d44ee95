using Grpc.Net.Client;
using MeshDev.Catalog;
using MeshDev.Routing;
using MeshDev.Testing;
using MeshDev.Xds.Hosting;
using MeshDev.Xds.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MeshDev.Xds.Tests.Infrastructure;

/// <summary>
/// The real ADS server (Grpc.AspNetCore on Kestrel, h2c) on a free loopback port in the test process, fed by a real
/// <see cref="RoutingTable"/> exactly as the daemon wires it, and clients for it.
/// </summary>
internal sealed class AdsServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private AdsServer(WebApplication app, RoutingTable routing, int port)
    {
        _app = app;
        Routing = routing;
        Port = port;
    }

    public RoutingTable Routing { get; }

    public int Port { get; }

    public XdsSnapshotCache Snapshots => _app.Services.GetRequiredService<XdsSnapshotCache>();

    public XdsClients Clients => _app.Services.GetRequiredService<XdsClients>();

    public static async Task<AdsServer> StartAsync(string manifestYaml = TestManifests.Shop)
    {
        var manifest = TestManifests.Parse(manifestYaml);
        var routing = new RoutingTable(manifest);
        var builder = LoopbackKestrel.CreateBuilder(HttpProtocols.Http2);
        builder.Services.AddSingleton(manifest);
        builder.Services.AddSingleton(routing);
        builder.Services.AddMeshXds();
        // As in the daemon: Kestrel waits at most this long for connections to close when the server stops. Whether
        // our streams end on stop is asserted through XdsClients, not through how long Kestrel waits for the client.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        var app = builder.Build();
        app.MapXdsServer();
        var port = await LoopbackKestrel.StartAsync(app);
        return new AdsServer(app, routing, port);
    }

    /// <summary>A new ADS stream from a client that calls itself <paramref name="nodeId"/>.</summary>
    public AdsClient Connect(string nodeId = "test-client") =>
        new(GrpcChannel.ForAddress($"http://127.0.0.1:{Port}", new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { UseProxy = false } }), nodeId);

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
