using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MeshDev.Calls;

namespace MeshDev.Bench;

/// <summary>
/// (c) What naming the caller costs per new connection (issue 17: ≤ 50 µs CPU): loopback connections made and accepted
/// in a loop, with and without <see cref="CallerTracker.Track"/> on each (its sock_diag query and cgroup lookup), A/B
/// alternating; the CPU time of this process per connection, and the difference. This process's own cgroup stands for a
/// launched instance's, so every tracked connection is named at accept, as a launched service's would be.
/// </summary>
internal static class AttributionBench
{
    public static async Task<string> RunAsync(int connections, int rounds, CancellationToken cancellationToken)
    {
        var cgroup = OwnCgroupDirectory() ?? throw new BenchException("no cgroup v2 directory for this process; the attribution bench needs one");
        var graph = new CallGraph(["service"]);
        await using var tracker = new CallerTracker(graph, () => [new CallerRoot("service", Environment.ProcessId, null, cgroup)]);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(1024);
        var endpoint = (IPEndPoint)listener.LocalEndpoint;

        // Warm-up: JIT, the first map of cgroups.
        await LoopAsync(listener, endpoint, 500, tracker, cancellationToken).ConfigureAwait(false);
        await LoopAsync(listener, endpoint, 500, null, cancellationToken).ConfigureAwait(false);

        var baseline = new List<double>();
        var tracked = new List<double>();
        var named = 0L;
        for (var round = 0; round < rounds; round++)
        {
            baseline.Add(await LoopAsync(listener, endpoint, connections, null, cancellationToken).ConfigureAwait(false) / connections);
            var (cpu, resolved) = await TrackedAsync(listener, endpoint, connections, tracker, cancellationToken).ConfigureAwait(false);
            tracked.Add(cpu / connections);
            named += resolved;
        }

        var difference = Median(tracked.Zip(baseline, (t, b) => t - b));
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"## (c) Caller attribution at accept ({rounds} rounds of {connections} connections, A/B alternating)");
        report.AppendLine();
        report.AppendLine("| | CPU per connection (median of rounds) |");
        report.AppendLine("| --- | --- |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| connect + accept + close | {Median(baseline):0.0} µs |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| the same + Track (sock_diag, cgroup lookup) | {Median(tracked):0.0} µs |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| **naming the caller** | **{difference:0.0} µs** (target ≤ 50 µs) |");
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"Connections named at accept: {named} of {(long)rounds * connections}.");
        return report.ToString();
    }

    private static async Task<(double CpuMicroseconds, long Named)> TrackedAsync(TcpListener listener, IPEndPoint endpoint, int count, CallerTracker tracker, CancellationToken cancellationToken)
    {
        var named = 0L;
        var cpu = await LoopAsync(listener, endpoint, count, tracker, cancellationToken, connection => named += connection.Caller == "service" ? 1 : 0).ConfigureAwait(false);
        return (cpu, named);
    }

    /// <summary>The CPU time (µs) this process spent making, accepting (and tracking) and closing <paramref name="count"/> connections.</summary>
    private static async Task<double> LoopAsync(TcpListener listener, IPEndPoint endpoint, int count, CallerTracker? tracker, CancellationToken cancellationToken, Action<CallerConnection>? seen = null)
    {
        var start = Process.GetCurrentProcess().TotalProcessorTime;
        for (var i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var accepting = listener.AcceptSocketAsync(cancellationToken);
            await client.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            using var server = await accepting.ConfigureAwait(false);
            if (tracker is not null)
            {
                seen?.Invoke(tracker.Track(server.RemoteEndPoint, server.LocalEndPoint));
            }
        }

        return (Process.GetCurrentProcess().TotalProcessorTime - start).TotalMicroseconds;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>This process's cgroup v2 directory: its <c>0::</c> line in /proc/self/cgroup under a cgroup2 mount.</summary>
    private static string? OwnCgroupDirectory()
    {
        var relative = File.ReadLines("/proc/self/cgroup").FirstOrDefault(l => l.StartsWith("0::", StringComparison.Ordinal))?[3..];
        var mount = File.ReadLines("/proc/mounts").Select(l => l.Split(' ')).FirstOrDefault(f => f.Length > 2 && f[2] == "cgroup2")?[1];
        return relative is null || mount is null ? null : Path.Join(mount, relative);
    }
}
