using System.Diagnostics;
using System.Globalization;
using System.Net;
using Docker.DotNet;
using MeshDev.Activation;
using MeshDev.Catalog;
using MeshDev.Daemon.Hosting;
using MeshDev.Daemon.State;
using MeshDev.Docker;
using MeshDev.Runtime;

namespace MeshDev.DockerBench;

/// <summary>One mesh round: <c>GET /</c> sent to the mesh port of the stopped service → 200, with the mesh's milestones.</summary>
internal sealed record MeshRound(double TotalMs, MeshTimeline Timeline);

/// <summary>
/// The mesh under test, in this process (as <c>meshdev up</c> runs it), with one <c>runtime: docker</c> service for the
/// image: host network, <c>pull: never</c>, <c>onIdle: remove</c>, no <c>ready</c> (so the image's HEALTHCHECK, of which it
/// has none, hence a TCP connect: the default a manifest gets), its own mesh port. State directory in the scratch directory.
/// </summary>
internal sealed class DockerBenchMesh : IAsyncDisposable
{
    public const string ServiceName = "svc";

    private const int StartAttempts = 3;
    private const string CreatedLine = "meshdev: created container ";
    private const string ListeningLine = "container-service listening on ";
    private static readonly TimeSpan RoundTimeout = TimeSpan.FromSeconds(60);

    private readonly MeshHost _host;
    private readonly TimedDockerRuntime _runtime;
    private readonly DockerClient _client;
    private MeshTimeline? _round;

    private DockerBenchMesh(MeshHost host, TimedDockerRuntime runtime, DockerClient client, string meshId)
    {
        _host = host;
        _runtime = runtime;
        _client = client;
        MeshId = meshId;
        Service = host.Activator.Find(ServiceName) ?? throw new BenchException("the bench service is missing from the mesh");
        ServiceUri = new Uri($"http://127.0.0.1:{Service.Service.MeshPort}/");
    }

    public MeshManifest Manifest => _host.Manifest;

    public ServiceActivator Service { get; }

    public Uri ServiceUri { get; }

    /// <summary>The label value on the mesh's containers.</summary>
    public string MeshId { get; }

    /// <summary>The mesh id a manifest in <paramref name="directory"/> gets (it follows from the state directory).</summary>
    public static string MeshIdFor(string directory) => MeshIdentity.For(StateDirectory.For(ManifestPath(directory)).Root);

    /// <param name="client">The bench's own engine client, for checking that the mesh's container is gone between rounds.</param>
    public static async Task<DockerBenchMesh> StartAsync(string directory, string image, DockerClient client, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var path = ManifestPath(directory);
            var yaml = ManifestYaml(image);
            await File.WriteAllTextAsync(path, yaml, cancellationToken).ConfigureAwait(false);
            var manifest = ManifestLoader.Parse(yaml, path);
            var meshId = MeshIdFor(directory);

            DockerBenchMesh? mesh = null;
            // What MeshHost would create itself for this manifest (same mesh id, same engine), wrapped to note the milestones.
            var runtime = new TimedDockerRuntime(new DockerRuntime(meshId, path), () => mesh is null ? null : Volatile.Read(ref mesh._round));
            var options = new MeshHostOptions
            {
                Prebuild = false,
                Runtimes = [runtime],
                OnServiceOutput = (_, line) => mesh?.OnServiceOutput(line),
                OnStateChange = change =>
                {
                    if (change.To == ServiceState.Failed)
                    {
                        Console.Error.WriteLine($"  mesh: {change.Service} failed: {change.Detail}");
                    }
                },
            };
            try
            {
                var host = await MeshHost.StartAsync(manifest, options, cancellationToken).ConfigureAwait(false);
                mesh = new DockerBenchMesh(host, runtime, client, meshId);
                return mesh;
            }
            catch (MeshStartException) when (attempt < StartAttempts)
            {
                // A port picked free a moment ago was taken meanwhile: pick new ones.
                await runtime.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await runtime.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    private static string ManifestPath(string directory) => Path.Combine(directory, "meshdev.yaml");

    private static string ManifestYaml(string image)
    {
        var ports = new HashSet<int>();
        while (ports.Count < 3)
        {
            ports.Add(Ports.GetFreePort());
        }

        var (shared, xds, meshPort) = (ports.ElementAt(0), ports.ElementAt(1), ports.ElementAt(2));
        return string.Create(CultureInfo.InvariantCulture, $"""
            # Written by devtools/bench/MeshDev.DockerBench for one run.
            mesh:
              http: {shared}
              xds: {xds}
            services:
              {ServiceName}:
                runtime: docker
                image: '{image}'
                pull: never
                onIdle: remove
                port: auto
                meshPort: {meshPort}
                idleTimeout: never
                startTimeout: 60s
                stopGracePeriod: 0s

            """);
    }

    /// <summary>Stops the service (the mesh removes its container: onIdle remove) and waits until the engine lists no container of the mesh.</summary>
    public async Task EnsureStoppedAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await Service.StopAsync("bench round over").WaitAsync(timeout.Token).ConfigureAwait(false);
            while ((await MeshContainers.ListAsync(_client, MeshId, timeout.Token).ConfigureAwait(false)).Count > 0)
            {
                await Task.Delay(10, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BenchException($"the mesh's container was still there 30 s after stopping the service (state {Service.State})");
        }

        if (Service.State != ServiceState.Stopped)
        {
            throw new BenchException($"the service should be stopped before a mesh round, but is {Service.State}{(Service.LastFailure is { } failure ? $": {failure.Cause}" : "")}");
        }
    }

    /// <summary>Sends <c>GET /</c> to the mesh port of the stopped service and times it to the complete 200 response.</summary>
    public async Task<MeshRound> RunAsync(CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false };
        using var client = new HttpClient(handler) { Timeout = RoundTimeout };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RoundTimeout);

        var timeline = new MeshTimeline();
        Volatile.Write(ref _round, timeline);
        try
        {
            using var response = await client.GetAsync(ServiceUri, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
            var total = Stopwatch.GetElapsedTime(timeline.Sent).TotalMilliseconds;
            if (response.StatusCode != HttpStatusCode.OK)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                throw new BenchException($"the mesh answered {(int)response.StatusCode}: {body}");
            }

            // The container's output arrives on its own stream and may come a moment after the response (information only).
            var waited = Stopwatch.StartNew();
            while (!timeline.Has(Milestone.Listening) && waited.Elapsed < TimeSpan.FromSeconds(1))
            {
                await Task.Delay(5, cancellationToken).ConfigureAwait(false);
            }

            return new MeshRound(total, timeline);
        }
        finally
        {
            Volatile.Write(ref _round, null);
        }
    }

    private void OnServiceOutput(string line)
    {
        if (Volatile.Read(ref _round) is not { } round)
        {
            return;
        }

        if (line.StartsWith(CreatedLine, StringComparison.Ordinal))
        {
            round.Mark(Milestone.Created);
        }
        else if (line.StartsWith(ListeningLine, StringComparison.Ordinal))
        {
            round.Mark(Milestone.Listening);
        }
    }

    /// <summary>Stops the mesh (and the service), then the runtime, which removes every container of the mesh.</summary>
    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync().ConfigureAwait(false);
        await _runtime.DisposeAsync().ConfigureAwait(false);
    }
}
