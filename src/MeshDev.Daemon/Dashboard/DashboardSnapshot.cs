using MeshDev.Calls;
using MeshDev.Daemon.Hosting;

namespace MeshDev.Daemon.Dashboard;

/// <summary>Everything the dashboard shows, sent whole on connect and after every change (it is small).</summary>
public sealed record DashboardSnapshot(DashboardMesh Mesh, IReadOnlyList<DashboardService> Services, CallGraphSnapshot Graph)
{
    /// <summary>How many of the latest requests the page lists.</summary>
    public const int RecentRequests = 50;

    public static DashboardSnapshot Of(MeshHost host) => new(
        new DashboardMesh(host.Manifest.FilePath, host.Info.Pid, host.Manifest.Mesh.HttpPort, host.Manifest.Mesh.XdsPort, host.Info.StartedAt),
        [.. host.Activator.Services.Select(a => new DashboardService(
            a.Service.Name,
            a.Service.Runtime.ToString().ToLowerInvariant(),
            a.State.ToString().ToLowerInvariant(),
            a.Endpoint?.ToString(),
            a.Service.MeshPort,
            a.Launches,
            a.InFlight,
            a.Requests,
            a.LastFailure?.Cause))],
        host.CallGraph.Snapshot(RecentRequests));
}

/// <summary>The mesh the dashboard belongs to.</summary>
public sealed record DashboardMesh(string Manifest, int Pid, int HttpPort, int XdsPort, DateTimeOffset StartedAt);

/// <summary>One row of the dashboard's services table (what <c>meshdev status</c> shows, plus the live counters).</summary>
public sealed record DashboardService(
    string Name,
    string Runtime,
    string State,
    string? Endpoint,
    int MeshPort,
    int Launches,
    int InFlight,
    long Requests,
    string? LastError);
