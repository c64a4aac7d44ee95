using MeshDev.Catalog;

namespace MeshDev.Authoring.Compose;

/// <summary>
/// In compose every container has its own network, so two services may both listen on 8080, and one may listen on the
/// port another publishes. On the mesh's default host network they would fight over the host's port; such a service
/// gets <c>network: bridge</c> instead, which keeps its port inside its own container, as compose did.
/// </summary>
internal static class HostPortClashes
{
    public static IReadOnlyList<ImportedService> Resolve(IReadOnlyList<ImportedService> services, ManifestDiagnostics findings)
    {
        // The mesh listens on its shared and xDS ports and on every mesh port; a host-network service then claims its own port.
        var taken = new Dictionary<int, string>
        {
            [MeshSettings.DefaultHttpPort] = "the mesh's shared port",
            [MeshSettings.DefaultXdsPort] = "the mesh's xDS port",
        };
        foreach (var service in services)
        {
            if (service.MeshPort is { } meshPort)
            {
                taken.TryAdd(meshPort, $"the meshPort of {service.Name}");
            }
        }

        var resolved = new List<ImportedService>(services.Count);
        foreach (var service in services)
        {
            // An explicit network_mode: host is the compose file's own choice; the manifest check reports any clash.
            if (service.Network is null && service.Port is { } port && !taken.TryAdd(port, $"the port of {service.Name}"))
            {
                findings.Report(
                    service.ComposeName,
                    $"services.{service.ComposeName.Value} listens on {port}, which is {taken[port]} on the host; it gets network: bridge, so {port} stays inside its container");
                resolved.Add(service with { Network = "bridge" });
            }
            else
            {
                resolved.Add(service);
            }
        }

        return resolved;
    }
}
