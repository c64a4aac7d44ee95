using System.Globalization;
using MeshDev.Activation;
using MeshDev.Catalog;
using MeshDev.Daemon.Hosting;
using MeshDev.Runtime;

namespace MeshDev.Bench;

/// <summary>
/// A mesh in this process (as <c>meshdev up</c> runs it) with one service, started and ready, for the parts that load
/// one backend through the mesh port and through a peer proxy (gRPC, TCP).
/// </summary>
internal sealed class SingleServiceMesh : IAsyncDisposable
{
    private SingleServiceMesh(MeshHost host, int meshPort, ServiceActivator service, ServiceEndpoint backend)
    {
        Host = host;
        MeshPort = meshPort;
        Service = service;
        Backend = backend;
    }

    public MeshHost Host { get; }

    public int MeshPort { get; }

    public ServiceActivator Service { get; }

    /// <summary>Where the service itself listens (the direct target).</summary>
    public ServiceEndpoint Backend { get; }

    /// <param name="settings">The service's manifest lines after its name, each "key: value" (port, meshPort, idleTimeout are added).</param>
    /// <param name="otel">The mesh's OTEL_* settings (MeshHostOptions.OtelSettings); the process environment's when null.</param>
    public static async Task<SingleServiceMesh> StartAsync(BenchContext context, string name, IEnumerable<string> settings, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? otel = null)
    {
        var directory = Directory.CreateDirectory(Path.Combine(context.TempDirectory, $"mesh-{name}")).FullName;
        var meshPort = Ports.GetFreePort();
        var lines = settings.Concat(["port: auto", $"meshPort: {meshPort}", "idleTimeout: never", "startTimeout: 60s", "stopGracePeriod: 0s"]);
        var yaml = string.Create(CultureInfo.InvariantCulture,
            $"# Written by devtools/bench (MeshDev.Bench) for one run.\nmesh: {{ http: {Ports.GetFreePort()}, xds: {Ports.GetFreePort()} }}\nservices:\n  {name}:\n")
            + string.Concat(lines.Select(line => $"    {line}\n"));
        var path = Path.Combine(directory, "meshdev.yaml");
        await File.WriteAllTextAsync(path, yaml, cancellationToken).ConfigureAwait(false);
        var host = await MeshHost.StartAsync(ManifestLoader.Load(path), new MeshHostOptions { Prebuild = false, OtelSettings = otel }, cancellationToken).ConfigureAwait(false);
        try
        {
            var service = host.Activator.Services.Single();
            await service.StartAsync(cancellationToken).ConfigureAwait(false);
            var backend = service.Endpoint ?? throw new BenchException($"{name} is not ready after StartAsync");
            Console.WriteLine($"  mesh port 127.0.0.1:{meshPort} → {name} at {backend}");
            return new SingleServiceMesh(host, meshPort, service, backend);
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops the service the mesh launched, then the mesh.</summary>
    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
