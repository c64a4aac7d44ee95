using System.Net;
using System.Net.Sockets;
using MeshDev.Activation;
using MeshDev.Catalog;
using MeshDev.Daemon.Hosting;
using MeshDev.IntegrationTests.Infrastructure;
using MeshDev.Runtime;

namespace MeshDev.IntegrationTests;

/// <summary>Ports held by another program: a clear sentence, and nothing half-started; a picked port taken meanwhile is picked again.</summary>
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

            // The holder is this test process: named by pid and folder, so the user knows what to stop.
            Assert.Contains($"another program already uses shared port {taken} (mesh.http), held by pid {Environment.ProcessId} (", error.Message);
            Assert.Contains($", in {Environment.CurrentDirectory}): stop it or choose other ports in {manifest.FilePath}", error.Message);
            Assert.False(File.Exists(Path.Combine(directory, ".meshdev", "daemon.json")), "nothing was started");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Auto_port_taken_before_the_service_binds_it_is_retried_on_another_port_within_the_one_activation()
    {
        PortTakingRuntime? runtime = null;
        await using var mesh = await TestMesh.StartAsync(
            m => m.Service("orders"),
            runtimes: directory => [runtime = new PortTakingRuntime(new ProcessRuntime(Path.Combine(directory, ".meshdev")))]);

        var whoami = await mesh.WhoAmIAsync("orders");

        var taken = runtime!.TakenPort;
        Assert.NotEqual(taken, whoami.Port);
        Assert.Equal($"127.0.0.1:{whoami.Port}", mesh.Status("orders").Endpoint);
        Assert.Equal(2, mesh.Service("orders").Launches);
        var changes = mesh.Changes("orders");
        Assert.Single(changes, c => c.To == ServiceState.Starting);
        Assert.DoesNotContain(changes, c => c.To == ServiceState.Failed);
        Assert.Contains($"orders | meshdev: port {taken} was taken by another program before the service listened on it, retrying on port {whoami.Port}", mesh.Output());
        Assert.Equal([whoami.Pid], mesh.FindTaggedProcesses().Select(p => p.Pid));
    }

    /// <summary>
    /// The process runtime, except that a real listener (another program) takes the first launch's port just before its
    /// process starts: what happens when many processes start at once between the mesh's pick and the service's bind.
    /// </summary>
    private sealed class PortTakingRuntime(ProcessRuntime inner) : IServiceRuntime, IDisposable
    {
        private TcpListener? _otherProgram;

        public int TakenPort { get; private set; }

        public RuntimeKind Kind => inner.Kind;

        public Task PrepareAsync(ServiceSpec service, ServiceLog log, CancellationToken cancellationToken) => inner.PrepareAsync(service, log, cancellationToken);

        public Task<IServiceInstance> StartAsync(LaunchRequest request, CancellationToken cancellationToken)
        {
            if (_otherProgram is null)
            {
                _otherProgram = new TcpListener(IPAddress.Loopback, request.Port);
                _otherProgram.Start();
                TakenPort = request.Port;
            }

            return inner.StartAsync(request, cancellationToken);
        }

        public void Dispose()
        {
            _otherProgram?.Dispose();
            inner.Dispose();
        }
    }
}
