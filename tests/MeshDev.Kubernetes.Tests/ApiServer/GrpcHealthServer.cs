using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// A gRPC health service (<c>grpc.health.v1.Health/Check</c> over h2c) served by Kestrel in the test process on a
/// listening socket the test got from a pod's namespace (<see cref="PodNetwork.ListenAsync"/>), so it answers as part
/// of that pod. It answers <see cref="Status"/> whatever service is asked about.
/// </summary>
internal sealed partial class GrpcHealthServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _status = 2;

    private GrpcHealthServer(WebApplication app) => _app = app;

    /// <summary>What Check answers: 1 SERVING, 2 NOT_SERVING (the default).</summary>
    public int Status
    {
        get => Volatile.Read(ref _status);
        set => Volatile.Write(ref _status, value);
    }

    public static async Task<GrpcHealthServer> StartAsync(Socket listening)
    {
        // Kestrel closes the descriptor it is given, and so does the Socket's owner: each gets one of its own.
        var descriptor = Duplicate((int)listening.SafeHandle.DangerousGetHandle());
        if (descriptor < 0)
        {
            throw new IOException($"dup failed: errno {Marshal.GetLastPInvokeError()}");
        }
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenHandle((ulong)descriptor, listen => listen.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        var server = new GrpcHealthServer(app);
        app.MapPost("/grpc.health.v1.Health/Check", async context =>
        {
            context.Response.ContentType = "application/grpc";
            // One frame: not compressed, 2 bytes long, HealthCheckResponse { status = Status }.
            await context.Response.Body.WriteAsync(new byte[] { 0, 0, 0, 0, 2, 0x08, (byte)server.Status });
            context.Response.AppendTrailer("grpc-status", "0");
        });
        await app.StartAsync();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    [LibraryImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static partial int Duplicate(int descriptor);
}
