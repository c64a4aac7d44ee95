using System.Collections.Immutable;
using System.Text;

namespace MeshDev.Catalog;

/// <summary>
/// Gives every service without an explicit <c>meshPort</c> a port from <c>mesh.portRange</c>.
/// The port depends on the service's name, not on its position in the file, so clients and IDE launch
/// profiles that remembered it keep working across runs and, mostly, when services are added or removed.
/// </summary>
internal static class MeshPortAssigner
{
    /// <summary>
    /// Returns the services, in the same order, each with its <see cref="ServiceSpec.MeshPort"/> set.
    /// A MeshPort of 0 on input means "not given in the manifest". Services left without a port
    /// (the range is full) are reported and keep 0.
    /// </summary>
    public static ImmutableArray<ServiceSpec> Assign(IReadOnlyList<ServiceSpec> services, MeshSettings mesh, ManifestDiagnostics diagnostics)
    {
        var taken = TakenPorts(services, mesh);
        var result = services.ToArray();

        // Name order, not file order: moving a service around in the file must not move its port.
        var unassigned = Enumerable.Range(0, result.Length)
            .Where(i => result[i].MeshPort == 0)
            .OrderBy(i => result[i].Name, StringComparer.Ordinal);
        foreach (var index in unassigned)
        {
            var service = result[index];
            if (FindFreePort(service.Name, mesh, taken) is { } port)
            {
                taken.Add(port);
                result[index] = service with { MeshPort = port };
            }
            else
            {
                diagnostics.Report(
                    service.Location,
                    $"no free mesh port left in portRange {mesh.PortRangeStart}-{mesh.PortRangeEnd} for service '{service.Name}'; widen mesh.portRange or give the service a meshPort");
            }
        }

        return [.. result];
    }

    /// <summary>Ports the mesh cannot hand out: its own listeners and the ports services listen on themselves.</summary>
    private static HashSet<int> TakenPorts(IReadOnlyList<ServiceSpec> services, MeshSettings mesh)
    {
        var taken = new HashSet<int> { mesh.HttpPort, mesh.XdsPort };
        foreach (var service in services)
        {
            if (service.MeshPort != 0)
            {
                taken.Add(service.MeshPort);
            }

            if (service.Port is { } port)
            {
                taken.Add(port);
            }

            if (service.Url is { } url)
            {
                taken.Add(url.Port);
            }
        }

        return taken;
    }

    /// <summary>Starts at a slot chosen by the name's hash and probes upward, wrapping at the end of the range.</summary>
    private static int? FindFreePort(string name, MeshSettings mesh, HashSet<int> taken)
    {
        var size = mesh.PortRangeEnd - mesh.PortRangeStart + 1;
        var first = (int)(Fnv1a(name) % (uint)size);
        for (var step = 0; step < size; step++)
        {
            var port = mesh.PortRangeStart + ((first + step) % size);
            if (!taken.Contains(port))
            {
                return port;
            }
        }

        return null;
    }

    /// <summary>32-bit FNV-1a of the UTF-8 name: unlike string.GetHashCode it is the same in every process.</summary>
    internal static uint Fnv1a(string text)
    {
        const uint OffsetBasis = 2166136261;
        const uint Prime = 16777619;
        var hash = OffsetBasis;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = unchecked((hash ^ b) * Prime);
        }

        return hash;
    }
}
