using MeshDev.Calls;
using MeshDev.Daemon.Control;
using MeshDev.Daemon.Hosting;

namespace MeshDev.Daemon.Dashboard;

/// <summary>Everything the dashboard shows, sent whole on connect and after every change (it is small).</summary>
public sealed record DashboardSnapshot(DashboardMesh Mesh, IReadOnlyList<ServiceStatus> Services, CallGraphSnapshot Graph)
{
    /// <summary>How many of the latest requests the page lists.</summary>
    public const int RecentRequests = 50;

    // The services table shows what `meshdev status` shows: one mapping from the activators, in MeshHost.GetStatus. The
    // graph shows the services that called or were called, and those running; the table lists them all.
    public static DashboardSnapshot Of(MeshHost host)
    {
        var services = host.GetStatus().Services;
        return new(
            new DashboardMesh(host.Manifest.FilePath, host.Info.Pid, host.Manifest.Mesh.HttpPort, host.Manifest.Mesh.XdsPort, host.Info.StartedAt),
            services,
            host.CallGraph.Snapshot(RecentRequests).OnlyCalled(services.Where(s => s.IsRunning).Select(s => s.Name)));
    }

    /// <summary>The call graph of <c>/dashboard/graph.json</c>: every service of the manifest with <paramref name="all"/>, else as the page shows it.</summary>
    public static CallGraphSnapshot GraphOf(MeshHost host, bool all)
    {
        var graph = host.CallGraph.Snapshot();
        return all ? graph : graph.OnlyCalled(host.GetStatus().Services.Where(s => s.IsRunning).Select(s => s.Name));
    }
}

/// <summary>The mesh the dashboard belongs to.</summary>
public sealed record DashboardMesh(string Manifest, int Pid, int HttpPort, int XdsPort, DateTimeOffset StartedAt);
