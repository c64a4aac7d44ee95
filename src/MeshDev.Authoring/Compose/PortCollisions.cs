using MeshDev.Catalog;

namespace MeshDev.Authoring.Compose;

/// <summary>
/// In compose every container has its own network, so two services may both listen on 8080, and one may listen on the
/// port another publishes. On the host network they would fight over the host's port: each such service is reported
/// with a free port to move it to, since only the app itself can be told to listen elsewhere.
/// </summary>
internal static class PortCollisions
{
    public static void Report(IReadOnlyList<ImportedService> services, ManifestDiagnostics findings)
    {
        // The mesh listens on its shared and xDS ports and on every mesh port; a service then claims its own port.
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

        var colliding = new List<(ImportedService Service, int Port)>();
        foreach (var service in services)
        {
            if (service.Port is { } port && !taken.TryAdd(port, $"the port of {service.Name}"))
            {
                colliding.Add((service, port));
            }
        }

        foreach (var (service, port) in colliding)
        {
            var free = FreePort(port, taken);
            taken[free] = $"the port of {service.Name}";
            findings.Report(
                service.ComposeName,
                $"services.{service.ComposeName.Value} listens on {port}, which is {taken[port]} on the host network; " +
                $"make it listen on another port and set that as its port, e.g. 'port: {free}' and in its env the app's own " +
                $"setting (ASPNETCORE_HTTP_PORTS: \"{free}\" for ASP.NET Core; an app that reads PORT gets it from 'port:')");
        }
    }

    /// <summary>The next port above <paramref name="port"/> nobody has claimed, so the suggestion is one the import itself would accept.</summary>
    private static int FreePort(int port, Dictionary<int, string> taken)
    {
        var candidate = port + 1;
        while (taken.ContainsKey(candidate) || candidate is >= MeshSettings.DefaultPortRangeStart and <= MeshSettings.DefaultPortRangeEnd)
        {
            candidate++;
        }

        return candidate;
    }
}
