using System.Net;
using MeshDev.Activation;

namespace MeshDev.Calls;

/// <summary>
/// How to recognise a service's processes when it calls through the mesh: the process the mesh launched for it (and
/// everything that process starts), or, for a service the mesh only routes to (<c>external</c>: run from the IDE, a
/// fixed-port program), the process listening on its port.
/// </summary>
/// <param name="Cgroup">The cgroup directory of a launched instance, when it has one of its own.</param>
public sealed record CallerRoot(string Service, int? ProcessId, int? ListenPort, string? Cgroup = null)
{
    public static CallerRoot Process(string service, int processId) => new(service, processId, null);

    public static CallerRoot Listener(string service, int port) => new(service, null, port);

    /// <summary>The roots of every service that runs now: launched ones by their process, external ones on this machine by their port.</summary>
    public static IReadOnlyList<CallerRoot> Of(MeshActivator activator)
    {
        var roots = new List<CallerRoot>();
        foreach (var service in activator.Services)
        {
            if (service.ProcessId is { } pid)
            {
                roots.Add(new CallerRoot(service.Service.Name, pid, null, service.CgroupPath));
            }
            else if (service.State == ServiceState.External && service.Endpoint is { } endpoint && IsLocal(endpoint.Host))
            {
                roots.Add(Listener(service.Service.Name, endpoint.Port));
            }
        }

        return roots;
    }

    private static bool IsLocal(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
}
