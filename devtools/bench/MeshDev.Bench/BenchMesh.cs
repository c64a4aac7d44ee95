using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using MeshDev.Activation;
using MeshDev.Catalog;
using MeshDev.Daemon.Hosting;
using MeshDev.Daemon.State;
using MeshDev.Runtime;

namespace MeshDev.Bench;

/// <summary>What the bench needs everywhere: the dotnet host, the test service, its own children, a scratch directory.</summary>
internal sealed record BenchContext(string Dotnet, string TestServiceDll, string TempDirectory, ChildProcesses Children, IReadOnlyDictionary<string, string> MeshEnvironment)
{
    /// <summary>
    /// Runtime knobs tried on the mesh with environment variables (README.md), and their defaults. The test service
    /// inherits the bench's environment, both directly and through the mesh; it gets the defaults instead, so that a
    /// variant changes the mesh only and the backend stays the same.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> KnobDefaults = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["DOTNET_gcServer"] = "0",
        ["DOTNET_gcConcurrent"] = "1",
        ["DOTNET_GCHeapCount"] = "0",
        ["DOTNET_GCHeapAffinitizeMask"] = "0",
        ["DOTNET_TieredCompilation"] = "1",
        ["DOTNET_TieredPGO"] = "1",
        ["DOTNET_TC_QuickJitForLoops"] = "1",
        ["DOTNET_ReadyToRun"] = "1",
        ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "0",
        ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "70",
        ["DOTNET_HillClimbing_Disable"] = "0",
    };

    /// <summary>The variables the test service gets on top of the inherited environment (PORT aside).</summary>
    public IReadOnlyDictionary<string, string> ServiceEnvironment { get; } = KnobDefaults
        .Where(k => Environment.GetEnvironmentVariable(k.Key) is not null)
        .ToDictionary(k => k.Key, k => k.Value, StringComparer.Ordinal);
}

/// <summary>Milestones of one activation through the mesh, filled in by the mesh's hooks.</summary>
internal sealed class Milestones
{
    public long Sent { get; } = Stopwatch.GetTimestamp();

    /// <summary>When the process runtime was asked to spawn the service (Stopwatch ticks).</summary>
    public long Spawn;

    /// <summary>When the service's "listening on" line arrived (Stopwatch ticks).</summary>
    public long Listening;

    /// <summary>The activator's own "ready in N ms" (from the start of the launch to the passed probe); NaN until reported.</summary>
    public double ReadyInMs = double.NaN;

    public double Since(long timestamp) => timestamp == 0 ? double.NaN : Stopwatch.GetElapsedTime(Sent, timestamp).TotalMilliseconds;
}

/// <summary>The mesh's own process runtime, noting when it is asked to spawn (one timestamp, nothing else changed).</summary>
internal sealed class TimedRuntime(ProcessRuntime inner, Action spawning) : IServiceRuntime, IDisposable
{
    public RuntimeKind Kind => inner.Kind;

    public Task PrepareAsync(ServiceSpec service, ServiceLog log, CancellationToken cancellationToken) => inner.PrepareAsync(service, log, cancellationToken);

    public Task<IServiceInstance> StartAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        spawning();
        return inner.StartAsync(request, cancellationToken);
    }

    public void Dispose() => inner.Dispose();
}

/// <summary>
/// One way the mesh learns that the test service is ready: the service name in the bench's manifest, its <c>ready:</c>
/// and the test service's flags for it (<c>--systemd</c>: Kestrel's UseSystemd and SystemdNotifier).
/// </summary>
internal sealed record ActivationVariant(string Key, string ServiceName, string Ready, string[] Flags, string Label);

/// <summary>
/// The mesh under test, in this process (as <c>meshdev up</c> runs it): the test service run with <c>dotnet</c> as one
/// service per <see cref="ActivationVariant"/>, each on its own mesh port: <c>ready: { http: /healthz }</c> (probed; the
/// one the warm path uses), socket activation, and sd_notify. Its state directory is in the scratch directory.
/// </summary>
internal sealed partial class BenchMesh : IAsyncDisposable
{
    public const string ServiceName = "bench";

    /// <summary>The test service's flags for Kestrel's UseSystemd and SystemdNotifier.</summary>
    public static readonly string[] SystemdFlags = ["--systemd"];

    public static readonly IReadOnlyList<ActivationVariant> Variants =
    [
        new("probe", ServiceName, "{ http: /healthz }", [], "`ready: { http: /healthz }` (probed every 5 ms)"),
        new("socket", "bench-socket", "{ socket: true }", SystemdFlags, "`ready: { socket: true }` (Kestrel `UseSystemd()`: calls wait in the accept queue)"),
        new("notify", "bench-notify", "{ notify: true }", SystemdFlags, "`ready: { notify: true }` (`SystemdNotifier` READY=1, nothing probed)"),
    ];

    private readonly MeshHost _host;
    private readonly TimedRuntime _runtime;
    private Milestones? _round;

    private readonly IReadOnlyDictionary<string, int> _meshPorts;

    private BenchMesh(MeshHost host, TimedRuntime runtime, IReadOnlyDictionary<string, int> meshPorts)
    {
        _host = host;
        _runtime = runtime;
        _meshPorts = meshPorts;
        MeshPort = meshPorts[ServiceName];
        Service = ActivatorOf(Variants[0]);
        ServiceUri = UriOf(Variants[0]);
    }

    /// <summary>The mesh port of the probed service (the warm path's).</summary>
    public int MeshPort { get; }

    public Uri ServiceUri { get; }

    public ServiceActivator Service { get; }

    public ServiceActivator ActivatorOf(ActivationVariant variant) =>
        _host.Activator.Find(variant.ServiceName) ?? throw new BenchException($"the bench service '{variant.ServiceName}' is missing from the mesh");

    public Uri UriOf(ActivationVariant variant) => new($"http://127.0.0.1:{_meshPorts[variant.ServiceName]}/");

    public static async Task<BenchMesh> StartAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var sharedPort = Ports.GetFreePort();
        var meshPorts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var variant in Variants)
        {
            var port = Ports.GetFreePort();
            while (port == sharedPort || meshPorts.ContainsValue(port))
            {
                port = Ports.GetFreePort();
            }

            meshPorts[variant.ServiceName] = port;
        }

        // Not the default xDS port: another mesh on the machine (a developer's own) may hold it.
        var xdsPort = Ports.GetFreePort();
        while (xdsPort == sharedPort || meshPorts.ContainsValue(xdsPort))
        {
            xdsPort = Ports.GetFreePort();
        }

        var manifestPath = Path.Combine(context.TempDirectory, "meshdev.yaml");
        var env = string.Join(", ", context.ServiceEnvironment.Select(e => $"{e.Key}: {Quote(e.Value)}"));
        var services = string.Concat(Variants.Select(variant => string.Create(CultureInfo.InvariantCulture, $"""
              {variant.ServiceName}:
                runtime: process
                command: {Quote(context.Dotnet)}
                args: [{string.Join(", ", variant.Flags.Prepend(context.TestServiceDll).Select(Quote))}]
                port: auto
                meshPort: {meshPorts[variant.ServiceName]}
                ready: {variant.Ready}
                idleTimeout: never
                startTimeout: 60s
                stopGracePeriod: 0s
                env: {"{"}{env}{"}"}

            """)));
        var yaml = string.Create(CultureInfo.InvariantCulture, $"""
            # Written by devtools/bench (MeshDev.Bench) for one run.
            mesh:
              http: {sharedPort}
              xds: {xdsPort}
            services:

            """) + services;
        await File.WriteAllTextAsync(manifestPath, yaml, cancellationToken).ConfigureAwait(false);

        BenchMesh? mesh = null;
        // The runtime MeshHost would create itself (same state directory), wrapped to timestamp the spawn.
        var runtime = new TimedRuntime(new ProcessRuntime(StateDirectory.For(manifestPath).Root), () => mesh?.OnSpawning());
        var options = new MeshHostOptions
        {
            Prebuild = false,
            Runtimes = [runtime],
            OnStateChange = change => mesh?.OnStateChange(change),
            OnServiceOutput = (_, line) => mesh?.OnServiceOutput(line),
        };
        // --mesh-env: configuration for the mesh host only (e.g. Logging__LogLevel__…), set while its builder reads the
        // environment and removed before any service is launched, so the services do not inherit it.
        foreach (var (name, value) in context.MeshEnvironment)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        MeshHost host;
        try
        {
            host = await MeshHost.StartAsync(ManifestLoader.Parse(yaml, manifestPath), options, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var name in context.MeshEnvironment.Keys)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }

        mesh = new BenchMesh(host, runtime, meshPorts);
        return mesh;
    }

    /// <summary>Starts recording the milestones of the next activation; the returned object's <see cref="Milestones.Sent"/> is now.</summary>
    public Milestones BeginRound()
    {
        var round = new Milestones();
        Volatile.Write(ref _round, round);
        return round;
    }

    /// <summary>
    /// Waits (bounded) for the activator's "ready" report of the round — state changes are delivered from a queue and
    /// may come after the response — then stops the service and waits, bounded, until the activator says stopped.
    /// </summary>
    public Task StopServiceAsync(CancellationToken cancellationToken) => StopServiceAsync(Service, cancellationToken);

    /// <inheritdoc cref="StopServiceAsync(CancellationToken)"/>
    public async Task StopServiceAsync(ServiceActivator service, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var waited = Stopwatch.StartNew();
        while (Volatile.Read(ref _round) is { } round && double.IsNaN(Volatile.Read(ref round.ReadyInMs)) && waited.Elapsed < TimeSpan.FromSeconds(2))
        {
            await Task.Delay(1, timeout.Token).ConfigureAwait(false);
        }

        Volatile.Write(ref _round, null);
        await service.StopAsync("bench round over").WaitAsync(timeout.Token).ConfigureAwait(false);
        while (service.State != ServiceState.Stopped)
        {
            await Task.Delay(5, timeout.Token).ConfigureAwait(false);
        }
    }

    private void OnSpawning()
    {
        var now = Stopwatch.GetTimestamp();
        if (Volatile.Read(ref _round) is { } round)
        {
            Interlocked.CompareExchange(ref round.Spawn, now, 0);
        }
    }

    private void OnStateChange(ServiceStateChange change)
    {
        switch (change.To)
        {
            case ServiceState.Ready when Volatile.Read(ref _round) is { } round && ReadyInPattern().Match(change.Detail) is { Success: true } match:
                Volatile.Write(ref round.ReadyInMs, double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
                break;
            case ServiceState.Failed:
                Console.Error.WriteLine($"  mesh: {change.Service} failed: {change.Detail}");
                break;
        }
    }

    private void OnServiceOutput(string line)
    {
        var now = Stopwatch.GetTimestamp();
        if (line.StartsWith("listening on", StringComparison.Ordinal) && Volatile.Read(ref _round) is { } round)
        {
            Interlocked.CompareExchange(ref round.Listening, now, 0);
        }
    }

    // The activator's detail for the ready transition: "ready in 212 ms at 127.0.0.1:41234".
    [GeneratedRegex(@"^ready in (\d+) ms")]
    private static partial Regex ReadyInPattern();

    private static string Quote(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync().ConfigureAwait(false);
        _runtime.Dispose();
    }
}
