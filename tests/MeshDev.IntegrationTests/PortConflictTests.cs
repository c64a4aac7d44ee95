using System.Net;
using System.Net.Sockets;
using MeshDev.Catalog;
using MeshDev.Daemon.Hosting;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests;

/// <summary>Ports held by another program: a clear sentence, and nothing half-started.</summary>
public sealed class PortConflictTests
{
    [Fact]
    public async Task Up_refuses_to_start_when_another_program_holds_a_mesh_port()
    {
        using var other = new TcpListener(IPAddress.Loopback, 0);
        other.Start();
        var taken = ((IPEndPoint)other.LocalEndpoint).Port;
        var directory = Directory.CreateTempSubdirectory("meshdev-ports-").FullName;
        try
        {
            var builder = new ManifestBuilder(Guid.NewGuid().ToString("N")).Service("orders");
            var yaml = builder.ToYaml().Replace($"http: {builder.SharedPort}", $"http: {taken}", StringComparison.Ordinal);
            var manifest = ManifestLoader.Parse(yaml, Path.Combine(directory, "meshdev.yaml"));

            var error = await Assert.ThrowsAsync<MeshStartException>(() => MeshHost.StartAsync(manifest, new MeshHostOptions { Prebuild = false }));

            Assert.Contains($"another program already uses shared port {taken} (mesh.http)", error.Message);
            Assert.False(File.Exists(Path.Combine(directory, ".meshdev", "daemon.json")), "nothing was started");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
