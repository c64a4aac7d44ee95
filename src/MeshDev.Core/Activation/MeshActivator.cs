using System.Collections.Frozen;
using MeshDev.Catalog;
using MeshDev.Discovery;
using MeshDev.Runtime;

namespace MeshDev.Activation;

/// <summary>The activators of all services of a manifest, with the runtimes and the discovery environment they share.</summary>
public sealed class MeshActivator : IAsyncDisposable
{
    private readonly FrozenDictionary<string, ServiceActivator> _byName;

    public MeshActivator(MeshManifest manifest, IEnumerable<IServiceRuntime> runtimes, Func<ServiceSpec, ServiceLog> logFor, TimeProvider? time = null)
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
                (spec, _) => DiscoveryEnvironment.ForLaunch(meshEnvironment, manifest, spec),
                time,
                startDependency: (dependency, ct) => StartDependencyAsync(dependency, s.Name, ct),
                reservedPorts: fixedPorts,
                meshMaxWaitingRequests: manifest.Mesh.MaxWaitingRequests))
            .ToArray();
        _byName = Services.ToFrozenDictionary(a => a.Service.Name, StringComparer.OrdinalIgnoreCase);
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
    public async ValueTask DisposeAsync() => await Task.WhenAll(Services.Select(s => s.DisposeAsync().AsTask())).ConfigureAwait(false);
}
