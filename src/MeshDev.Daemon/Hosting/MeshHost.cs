using System.Globalization;
using System.Security.Cryptography;
using MeshDev.Activation;
using MeshDev.Calls;
using MeshDev.Catalog;
using MeshDev.Daemon.Control;
using MeshDev.Daemon.Dashboard;
using MeshDev.Daemon.State;
using MeshDev.Daemon.Telemetry;
using MeshDev.Docker;
using MeshDev.Kubernetes;
using MeshDev.Kubernetes.Objects;
using MeshDev.Proxy;
using MeshDev.Routing;
using MeshDev.Runtime;
using MeshDev.Text;
using MeshDev.Xds.Hosting;
using MeshDev.Xds.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MeshDev.Daemon.Hosting;

/// <summary>
/// A running mesh: listeners (shared port, one port per service, xDS, control API), the routing table, the
/// activators, the runtimes and the xDS control plane. Started by <c>meshdev up</c> (in the foreground or as a
/// detached daemon) and by tests.
/// </summary>
public sealed class MeshHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly MeshHostOptions _options;
    private readonly IReadOnlyDictionary<string, ServiceLog> _logs;
    private readonly IReadOnlyList<IServiceRuntime> _runtimes;
    private readonly bool _ownsRuntimes;
    private readonly CallerTracker _callers;
    private readonly MeshListeners _listeners;
    private readonly MeshExport? _export;
    private readonly string _token = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
    private readonly DateTimeOffset _startedAt;
    private readonly TaskCompletionSource _shutdownRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    private MeshHost(
        MeshManifest manifest,
        StateDirectory state,
        IReadOnlyDictionary<string, ServiceLog> logs,
        IReadOnlyList<IServiceRuntime> runtimes,
        bool ownsRuntimes,
        RoutingTable routing,
        MeshActivator activator,
        CallerTracker callers,
        MeshExport? export,
        MeshHostOptions options)
    {
        _export = export;
        Manifest = manifest;
        State = state;
        Routing = routing;
        Activator = activator;
        CallGraph = callers.Graph;
        _logs = logs;
        _runtimes = runtimes;
        _ownsRuntimes = ownsRuntimes;
        _callers = callers;
        _options = options;
        _startedAt = options.Time.GetUtcNow();
        _listeners = new MeshListeners(manifest, routing, activator, callers, exportingTraces: export is not null);
        _app = BuildApplication();
    }

    public MeshManifest Manifest { get; }
    public StateDirectory State { get; }
    public RoutingTable Routing { get; }
    public MeshActivator Activator { get; }

    /// <summary>Every service state change, in order, for watchers (control API, dashboard).</summary>
    public MeshEvents Events => _app.Services.GetRequiredService<MeshEvents>();

    /// <summary>The xDS snapshot being served (Envoy-shaped routing table, per-type versions).</summary>
    public XdsSnapshotCache XdsSnapshots => _app.Services.GetRequiredService<XdsSnapshotCache>();

    /// <summary>The connected xDS clients and their last NACKs.</summary>
    public XdsClients XdsClients => _app.Services.GetRequiredService<XdsClients>();

    /// <summary>What <c>daemon.json</c> holds: how the CLI finds this mesh (its control port is known once it listens) and the token it sends.</summary>
    public DaemonInfo Info => new(Environment.ProcessId, $"http://127.0.0.1:{ControlPort}", _token, Manifest.FilePath, Manifest.Mesh.HttpPort, _startedAt);

    /// <summary>Who called whom through the mesh, how often, and the latest requests (dashboard, <c>meshdev graph</c>).</summary>
    public CallGraph CallGraph { get; }

    /// <summary>The loopback port of the control API (and of anything else mapped onto the control port).</summary>
    public int ControlPort => _listeners.ControlPort;

    /// <summary>Completes when someone asked the mesh to stop (control API <c>shutdown</c>).</summary>
    public Task ShutdownRequested => _shutdownRequested.Task;

    public void RequestShutdown() => _shutdownRequested.TrySetResult();

    public static async Task<MeshHost> StartAsync(MeshManifest manifest, MeshHostOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new MeshHostOptions();
        var state = StateDirectory.For(manifest);
        EnsureNotRunning(state);
        EnsurePortsFree(manifest);
        state.Create();

        // A daemon that was killed can leave launched processes behind; they would hold the services' ports.
        var orphans = await ProcessRuntime.KillOrphansAsync(state.Root, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (orphans > 0)
        {
            options.OnMeshMessage?.Invoke($"stopped {Plural.Of(orphans, "process")} left by a mesh that did not shut down");
        }

        var logs = manifest.Services.ToDictionary(s => s.Name, s =>
        {
            var log = new ServiceLog(s.Name, state.ServiceLog(s.Name), options.Time, rotation: manifest.Mesh.Logs);
            if (options.OnServiceOutput is { } output)
            {
                log.LineWritten += output;
            }

            return log;
        });
        var clusterCalls = options.ClusterCalls ?? new ClusterCalls();
        var runtimes = options.Runtimes ?? DefaultRuntimes(manifest, state, options, clusterCalls);
        var routing = new RoutingTable(manifest);
        var export = MeshExport.Start(options.OtelSettings);
        var activator = new MeshActivator(manifest, runtimes, s => logs[s.Name], options.Time, export?.Telemetry);
        foreach (var service in activator.Services)
        {
            service.RebuildAtOnce = options.Watch;
        }

        var callGraph = new CallGraph(manifest.Services.Select(s => s.Name), options.Time);
        CallGraphStore.Load(state.CallsFile, callGraph);
        activator.UseObservedCallees(callGraph.CalleesOf);
        clusterCalls.Attach(activator, callGraph);
        var callers = new CallerTracker(callGraph, () => CallerRoot.Of(activator), cluster: clusterCalls);
        var host = new MeshHost(manifest, state, logs, runtimes, ownsRuntimes: options.Runtimes is null, routing, activator, callers, export, options);
        try
        {
            await host._app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await callers.DisposeAsync().ConfigureAwait(false);
            await host._app.DisposeAsync().ConfigureAwait(false);
            export?.Dispose();
            throw new MeshStartException($"could not listen on the mesh ports: {ex.Message}");
        }

        host.Info.Write(state.DaemonFile);
        options.OnMeshMessage?.Invoke($"mesh listening on 127.0.0.1:{manifest.Mesh.HttpPort} (xDS 127.0.0.1:{manifest.Mesh.XdsPort}, control {host.Info.ControlUrl})");

        if (options.Prebuild)
        {
            _ = host.PrebuildAsync();
        }

        return host;
    }

    /// <summary>
    /// The web application: logging, the services the proxy, xDS and control API find in the container, the hosted
    /// services in the order they start (and, reversed, stop), the listeners, then the request pipeline.
    /// </summary>
    private WebApplication BuildApplication()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        // Nothing of ours is encrypted with data protection; its "no XML encryptor" warning is noise.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        // Kestrel warns at start, per mesh port, that HTTP/2 without TLS is off; H2cPriorKnowledge turns it on per connection.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel", LogLevel.Error);
        // With this logger off, ASP.NET Core creates no tracing Activity per request and YARP adds no traceparent of
        // its own (a caller's is still forwarded): about 2 KB less allocation per proxied request (devtools/bench).
        // While the mesh exports traces, its own span (MeshTelemetry) is the one per forwarded request.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        // YARP logs every forwarding failure with its stack trace; the mesh logs one line per failure instead,
        // rate-limited per service and cause (ForwardingErrorLog).
        builder.Logging.AddFilter("Yarp.ReverseProxy.Forwarder", LogLevel.None);

        var services = builder.Services;
        services.AddSingleton(Manifest);
        services.AddSingleton(Routing);
        services.AddSingleton(Activator);
        services.AddSingleton(new MeshEvents(_options.Time));
        services.AddSingleton(_options.Time);
        if (_export is not null)
        {
            services.AddSingleton(_export.Telemetry);
        }

        // Stopping the mesh waits this long at most for open connections (streams, xDS clients) before cutting them.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        services.AddMeshProxy();
        services.AddControlApi(this);

        // Hosted services start in this order, all before the listeners open (WebApplication starts Kestrel after
        // them), and stop in the reverse order, after the listeners closed.
        // 1. activators -> routing table (endpoints) and -> watchers (events, foreground lines); the routing table
        //    then feeds xDS (XdsRoutingFeed, added by AddMeshXds).
        services.AddHostedService(sp => new ActivatorRoutingFeed(Activator, Routing));
        services.AddHostedService(sp => new MeshEventsFeed(Activator, sp.GetRequiredService<MeshEvents>(), _options.OnStateChange));
        services.AddMeshXds();
        // 2. with the feeds following: adopt what an earlier run left running; at stop, stop every launched instance.
        services.AddHostedService(sp => new ActivatorLifetime(Activator, _options.OnMeshMessage));
        services.AddHostedService<IdleMemoryTrim>();
        services.AddHostedService(sp => new CallGraphPersistence(CallGraph, State.CallsFile, _options.Time));
        // 3. the mesh ports of protocol: tcp services (their own sockets, not Kestrel's); closed first at stop.
        services.AddHostedService(sp => new TcpPorts(_listeners, sp.GetRequiredService<ILoggerFactory>()));

        builder.WebHost.ConfigureKestrel(_listeners.Configure);

        var app = builder.Build();
        app.UseMeshProxy();
        app.MapXdsServer();
        app.MapControlApi(this);
        app.MapDashboard(this);
        return app;
    }

    /// <summary>
    /// Local processes always; the Docker engine only when the manifest has containers and a cluster only when it has
    /// Kubernetes services, so a mesh without them never needs an engine or a kubeconfig.
    /// </summary>
    private static List<IServiceRuntime> DefaultRuntimes(MeshManifest manifest, StateDirectory state, MeshHostOptions options, ClusterCalls clusterCalls)
    {
        var runtimes = new List<IServiceRuntime> { new ProcessRuntime(state.Root) };
        if (manifest.Services.Any(s => s.Runtime == RuntimeKind.Docker))
        {
            runtimes.Add(new DockerRuntime(MeshIdentity.For(state.Root), manifest.FilePath));
        }

        if (manifest.Services.Any(s => s.Runtime == RuntimeKind.Kubernetes))
        {
            runtimes.Add(new KubernetesRuntime(new KubernetesRuntimeOptions
            {
                MeshId = MeshIdentity.For(state.Root),
                ManifestPath = manifest.FilePath,
                AdoptNamespaces = options.AdoptNamespaces,
                Time = options.Time,
                Gateway = GatewayFor(manifest),
                LocalGatewayImage = GatewayImageBuild.IsNeeded(manifest)
                    ? GatewayImageBuild.Start(GatewayBinary.Find(), options.OnMeshMessage ?? (_ => { }), options.Time)
                    : null,
                Calls = clusterCalls,
            }));
        }

        return runtimes;
    }

    /// <summary>
    /// The sidecar of generated pods: it serves every mesh port inside the pod, and the laptop's link reaches it on the
    /// mesh's xDS port number — a port every service's port is already kept clear of, and one a pod has no other use for.
    /// Without <c>mesh.kubernetes.gatewayImage</c>, the runtime puts in the image the mesh builds (<see cref="GatewayImageBuild"/>).
    /// </summary>
    public static GatewaySidecar GatewayFor(MeshManifest manifest) => new(
        manifest.Mesh.GatewayImage ?? GatewaySidecar.DefaultImage,
        manifest.Mesh.XdsPort,
        manifest.Services.Select(s => KeyValuePair.Create(s.MeshPort, s.Name)).Append(KeyValuePair.Create(manifest.Mesh.HttpPort, "*")).ToDictionary());

    /// <summary>The routing table as served over xDS, for <c>meshdev routes</c>.</summary>
    public RoutesView GetRoutes() => RoutesView.Of(this);

    /// <summary>The status of every service, for <c>meshdev status</c>.</summary>
    public MeshStatus GetStatus() => new(
        Manifest.FilePath,
        Info.Pid,
        Manifest.Mesh.HttpPort,
        Info.StartedAt,
        Activator.Services.Select(a => new ServiceStatus(
            a.Service.Name,
            a.Service.Runtime.ToString().ToLowerInvariant(),
            a.State.ToString().ToLowerInvariant(),
            a.Endpoint?.ToString(),
            a.Service.MeshPort,
            a.Launches,
            a.InFlight,
            a.OldestInFlightAge is { } oldest ? (long)oldest.TotalMilliseconds : null,
            a.Requests,
            a.LastFailure?.Cause,
            [.. a.Service.AllHosts],
            [.. a.Service.Paths],
            a.Reason,
            a.Link,
            a.Held)).ToArray(),
        Manifest.Mesh.XdsPort,
        XdsClients.Connected.Count,
        [.. XdsClients.LastNacks.Select(n => $"{n.NodeId} rejected {n.Type} version {n.Version} at {n.At.ToLocalTime():HH:mm:ss}: {n.Message}")]);

    /// <summary>
    /// Builds every <c>project:</c> service whose sources changed, in one parallel MSBuild run, as the mesh starts, and
    /// says what it is doing and when it is done: a call meanwhile waits for its own service's build only.
    /// </summary>
    private async Task PrebuildAsync()
    {
        var projects = Manifest.Services.Where(s => s.Project is not null && s.Runtime == RuntimeKind.Process).Select(s => (s, _logs[s.Name])).ToList();
        if (projects.Count == 0 || _runtimes.OfType<ProcessRuntime>().FirstOrDefault() is not { } runtime)
        {
            return;
        }

        var say = _options.OnMeshMessage ?? (_ => { });
        try
        {
            var result = await runtime.PrebuildAsync(projects, building => say(building.Count == 1
                ? $"building the project of {building[0]} with dotnet build; a call to it waits for the build"
                : $"building {Plural.Of(building.Count, "project")} ({string.Join(", ", building)}) with dotnet build, in parallel; a call to one of them waits for its build")).ConfigureAwait(false);
            say(PrebuildSummary(result));
            foreach (var (service, cause) in result.Failed)
            {
                // Reported again, with the build output, to every caller of the service.
                say($"{service}: {cause}");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static string PrebuildSummary(PrebuildResult result)
    {
        var seconds = result.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        var current = result.Current.Count == 0 ? "" : $"{Plural.Of(result.Current.Count, "project")} unchanged since the last build";
        if (result.Built.Count == 0 && result.Failed.Count == 0)
        {
            return $"prebuild done in {seconds} s: {current}, nothing to build";
        }

        var parts = new List<string>();
        if (result.Built.Count > 0)
        {
            parts.Add($"built {string.Join(", ", result.Built)}");
        }

        if (result.Failed.Count > 0)
        {
            parts.Add($"{string.Join(", ", result.Failed.Select(f => f.Service))} failed to build");
        }

        if (current.Length > 0)
        {
            parts.Add(current);
        }

        return $"prebuild done in {seconds} s: {string.Join("; ", parts)}";
    }

    /// <summary>Throws <see cref="MeshStartException"/> when a mesh already runs for this state directory.</summary>
    public static void EnsureNotRunning(StateDirectory state)
    {
        if (DaemonInfo.TryRead(state.DaemonFile) is { IsAlive: true } running)
        {
            throw new MeshStartException(
                $"a mesh is already running for {running.Manifest} (pid {running.Pid}, since {running.StartedAt.ToLocalTime():HH:mm:ss}); " +
                "use 'meshdev status' to see it or 'meshdev down' to stop it first");
        }
    }

    /// <summary>Every port the mesh of <paramref name="manifest"/> listens on (besides the control API), and what it is.</summary>
    public static IReadOnlyList<(int Port, string Description)> ListeningPorts(MeshManifest manifest) => MeshListeners.FixedPorts(manifest);

    /// <summary>
    /// The <see cref="ListeningPorts"/> another program holds right now, described with who holds them (<c>shared port
    /// 15000 (mesh.http), held by pid 1234 (…, in /home/me/shop)</c>), one group per holder; null when all are free.
    /// </summary>
    public static string? PortsTakenByOthers(MeshManifest manifest)
    {
        var taken = ListeningPorts(manifest).Where(p => !Ports.CanBind(p.Port)).ToList();
        if (taken.Count == 0)
        {
            return null;
        }

        // Another mesh (the same sample run from a second checkout) holds all its ports: one holder, named once.
        var groups = taken
            .GroupBy(p => PortListeners.HeldBy(p.Port))
            .Select(g => $"{string.Join(", ", g.Select(p => p.Description))}, {g.Key}");
        return string.Join("; ", groups);
    }

    private static void EnsurePortsFree(MeshManifest manifest)
    {
        if (PortsTakenByOthers(manifest) is { } taken)
        {
            throw new MeshStartException($"another program already uses {taken}: stop it or choose other ports in {manifest.FilePath}");
        }
    }

    /// <summary>Stops listening, stops every service this mesh launched, removes the daemon file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _options.OnMeshMessage?.Invoke("stopping the mesh");
        try
        {
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            // The services were stopped by ActivatorLifetime, after the listeners closed (the host stops every hosted
            // service even when another one's stop failed).
            await _callers.DisposeAsync().ConfigureAwait(false);
            foreach (var runtime in _ownsRuntimes ? _runtimes : [])
            {
                // The Docker runtime removes every container of the mesh here, also those kept after an idle stop.
                if (runtime is IAsyncDisposable asyncDisposable)
                {
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                }
                else if (runtime is IDisposable disposable)
                {
                    disposable.Dispose();
                }
            }

            await _app.DisposeAsync().ConfigureAwait(false);
            if (DaemonInfo.TryRead(State.DaemonFile) is { } info && info.Pid == Environment.ProcessId && info.Token == _token)
            {
                File.Delete(State.DaemonFile);
            }

            foreach (var log in _logs.Values)
            {
                log.Dispose();
            }

            // Last, so the spans and metrics of the stop are sent too.
            _export?.Dispose();
            _shutdownRequested.TrySetResult();
        }
    }
}
