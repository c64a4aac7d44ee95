using MeshDev.Calls;
using MeshDev.Daemon.Control;
using MeshDev.Daemon.Hosting;

namespace MeshDev.Daemon.Dashboard;

/// <summary>Everything the dashboard shows, sent whole on connect and after every change (it is small).</summary>
public sealed record DashboardSnapshot(DashboardMesh Mesh, IReadOnlyList<ServiceStatus> Services, CallGraphSnapshot Graph)
{
    /// <summary>How many of the latest requests the page lists.</summary>
    public const int RecentRequests = 50;

    // The services table shows what `meshdev status` shows: one mapping from the activators, in MeshHost.GetStatus.
    public static DashboardSnapshot Of(MeshHost host) => new(
        new DashboardMesh(host.Manifest.FilePath, host.Info.Pid, host.Manifest.Mesh.HttpPort, host.Manifest.Mesh.XdsPort, host.Info.StartedAt),
        host.GetStatus().Services,
        host.CallGraph.Snapshot(RecentRequests));
}

/// <summary>The mesh the dashboard belongs to.</summary>
public sealed record DashboardMesh(string Manifest, int Pid, int HttpPort, int XdsPort, DateTimeOffset StartedAt);
