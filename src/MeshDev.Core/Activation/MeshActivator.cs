using System.Collections.Frozen;
using MeshDev.Catalog;
using MeshDev.Discovery;
using MeshDev.Runtime;
using MeshDev.Telemetry;

namespace MeshDev.Activation;

/// <summary>
/// The activators of all services of a manifest, with the runtimes and the discovery environment they share; and the
/// pre-launch: when a service starts launching, the services it calls (declared in <c>calls:</c>, and, with
/// <c>mesh.prewarm: observed</c>, those it was seen to call) start launching beside it, a few at a time, so a cold call
/// tree costs about its slowest launch instead of the sum of them. A pre-launched service nobody calls stops by the
/// ordinary idle rule.
/// </summary>
public sealed class MeshActivator : IAsyncDisposable
{
    private readonly FrozenDictionary<string, ServiceActivator> _byName;
    private readonly SemaphoreSlim _prewarmSlots = new(2 * Math.Max(1, Environment.ProcessorCount));
    private readonly CancellationTokenSource _stopping = new();
    private volatile Func<string, IReadOnlyList<string>>? _observedCallees;

    /// <param name="telemetry">The mesh's traces and metrics while export is on; null records nothing.</param>
    public MeshActivator(MeshManifest manifest, IEnumerable<IServiceRuntime> runtimes, Func<ServiceSpec, ServiceLog> logFor, TimeProvider? time = null,
        MeshTelemetry? telemetry = null)
    {
        Manifest = manifest;
        var runtimeByKind = runtimes.ToDictionary(r => r.Kind);
        // A remote upstream needs nothing installed, so its runtime is always there, whatever runtimes the host brings.
        runtimeByKind.TryAdd(RuntimeKind.Remote, new RemoteRuntime());
        var meshEnvironment = DiscoveryEnvironment.ForMesh(manifest);
        var fixedPorts = manifest.Services.Where(s => s.Port is not null).Select(s => s.Port!.Value).ToFrozenSet();
        Services = manifest.Services
            .Select(s => new ServiceActivator(
                s,
                runtimeByKind.GetValueOrDefault(s.Runtime),
                logFor(s),
                (spec, _) => TelemetryEnvironment.AddDefaults(DiscoveryEnvironment.ForLaunch(meshEnvironment, manifest, spec), spec, telemetry?.ExportEnvironment),
                time,
                startDependency: (dependency, ct) => StartDependencyAsync(dependency, s.Name, ct),
                reservedPorts: fixedPorts,
                meshMaxWaitingRequests: manifest.Mesh.MaxWaitingRequests,
                telemetry: telemetry))
            .ToArray();
        _byName = Services.ToFrozenDictionary(a => a.Service.Name, StringComparer.OrdinalIgnoreCase);
        telemetry?.Observe(Services);
        foreach (var service in Services)
        {
            service.StateChanged += OnStateChanged;
        }
    }

    /// <summary>The callees the mesh has seen each service call (the call graph), for <c>mesh.prewarm: observed</c>.</summary>
    public void UseObservedCallees(Func<string, IReadOnlyList<string>> callees) => _observedCallees = callees;

    /// <summary>The services launched beside <paramref name="service"/> when it launches, as the manifest's prewarm settings say.</summary>
    public IReadOnlyList<string> PrewarmTargetsOf(string service)
    {
        if (Manifest.Mesh.Prewarm == PrewarmMode.Off || Find(service) is not { } caller)
        {
            return [];
        }

        IEnumerable<string> callees = caller.Service.Calls;
        if (Manifest.Mesh.Prewarm == PrewarmMode.Observed && _observedCallees is { } observed)
        {
            callees = callees.Concat(observed(caller.Service.Name));
        }

        return [.. callees.Distinct(StringComparer.Ordinal)
            .Where(c => c != caller.Service.Name && Find(c) is { Service.Prewarm: true })];
    }

    private void OnStateChanged(ServiceStateChange change)
    {
        // A launch beginning (from stopped or after a failure's back-off), whatever started it: a call, meshdev start,
        // dependsOn, or a pre-launch itself — so a whole known tree starts at once.
        if (change.To != ServiceState.Starting || change.From is not (ServiceState.Stopped or ServiceState.Failed))
        {
            return;
        }

        foreach (var callee in PrewarmTargetsOf(change.Service))
        {
            // A held service waits for the instance the developer starts; prewarming it would only wait as well.
            if (Find(callee) is { State: ServiceState.Stopped, Held: false } target)
            {
                _ = PrewarmAsync(target, change.Service);
            }
        }
    }

    private async Task PrewarmAsync(ServiceActivator callee, string caller)
    {
        // Bounded by twice the cores: a launch is CPU (a runtime starting, a JIT) and waiting (loading, probes), and a
        // tree of four .NET services (the sample shop) started all at once answered in about half the time of a
        // slot per core, where its deepest service waited for a slot; many more at once would slow the launch the
        // original call waits for.
        try
        {
            await _prewarmSlots.WaitAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            using var lease = await callee.AcquireUnboundedAsync(LaunchReason.PrewarmFor(caller), _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is LaunchException or ServiceUnavailableException or OperationCanceledException)
        {
            // The callee's own failure: its log has it, and its next caller gets it as any failed launch.
        }
        finally
        {
            _prewarmSlots.Release();
        }
    }

    public MeshManifest Manifest { get; }

    public IReadOnlyList<ServiceActivator> Services { get; }

    public ServiceActivator? Find(string name) => _byName.GetValueOrDefault(name);

    // A dependency is waited for like a request would wait: launched once for everyone, failing fast during its backoff;
    // but not turned away when many requests wait for it too, which would fail the dependent's launch.
    private async Task StartDependencyAsync(string name, string dependent, CancellationToken cancellationToken)
    {
        using var lease = await Find(name)!.AcquireUnboundedAsync(LaunchReason.DependsOnOf(dependent), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes over the instances an earlier run of this mesh left running (containers outlive a killed daemon). Call before traffic.</summary>
    public async Task<int> AdoptRunningAsync(CancellationToken cancellationToken = default)
    {
        var adopted = await Task.WhenAll(Services.Select(s => s.AdoptRunningAsync(cancellationToken))).ConfigureAwait(false);
        return adopted.Count(a => a);
    }

    /// <summary>Stops every service this mesh launched, in parallel.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(Services.Select(s => s.DisposeAsync().AsTask())).ConfigureAwait(false);
    }
}
