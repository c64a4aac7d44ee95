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
        var meshEnvironment = DiscoveryEnvironment.ForMesh(manifest);
        Services = manifest.Services
            .Select(s => new ServiceActivator(
                s,
                runtimeByKind.GetValueOrDefault(s.Runtime),
                logFor(s),
                (spec, _) => DiscoveryEnvironment.ForLaunch(meshEnvironment, manifest, spec),
                time))
            .ToArray();
        _byName = Services.ToFrozenDictionary(a => a.Service.Name, StringComparer.OrdinalIgnoreCase);
    }

    public MeshManifest Manifest { get; }

    public IReadOnlyList<ServiceActivator> Services { get; }

    public ServiceActivator? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Stops every service this mesh launched, in parallel.</summary>
    public async ValueTask DisposeAsync() => await Task.WhenAll(Services.Select(s => s.DisposeAsync().AsTask())).ConfigureAwait(false);
}
