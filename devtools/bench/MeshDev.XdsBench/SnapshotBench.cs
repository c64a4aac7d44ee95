using System.Diagnostics;
using MeshDev.Routing;
using MeshDev.Runtime;
using MeshDev.Xds.Resources;

namespace MeshDev.XdsBench;

/// <summary>What one snapshot of a generated manifest costs: build time (full and after one endpoint change), the
/// consistency check, allocations, retained memory and size on the wire.</summary>
internal sealed record SnapshotResults(
    int Services,
    int Listeners,
    int RouteConfigurations,
    int Clusters,
    int LoadAssignments,
    long WireBytes,
    Stats FullBuildMs,
    Stats FullBuildAllocatedKiB,
    Stats IncrementalBuildMs,
    Stats IncrementalAllocatedKiB,
    Stats CheckMs,
    Stats IncrementalCheckMs,
    double RetainedKiB);

internal static class SnapshotBench
{
    public static SnapshotResults Run(int services, int rounds)
    {
        var manifest = GeneratedManifest.Create(services);
        var routing = new RoutingTable(manifest);
        var builder = new XdsSnapshotBuilder(manifest);
        for (var i = 0; i < 5; i++)
        {
            XdsSnapshotConsistency.Check(builder.Build(routing.Current)); // JIT and tiering warm-up
        }

        var full = new List<double>();
        var fullAllocated = new List<double>();
        XdsSnapshot snapshot = null!;
        for (var i = 0; i < rounds; i++)
        {
            GC.Collect();
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var start = Stopwatch.GetTimestamp();
            snapshot = builder.Build(routing.Current);
            full.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            fullAllocated.Add((GC.GetAllocatedBytesForCurrentThread() - allocated) / 1024.0);
        }

        var check = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var problems = XdsSnapshotConsistency.Check(snapshot);
            check.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            if (problems.Count > 0)
            {
                throw new InvalidOperationException(string.Join("; ", problems));
            }
        }

        // What happens while a mesh runs: one service becomes ready (or stops), the rest is reused.
        var incremental = new List<double>();
        var incrementalAllocated = new List<double>();
        var incrementalCheck = new List<double>();
        var previous = snapshot;
        for (var i = 0; i < rounds; i++)
        {
            var service = GeneratedManifest.Name((i % services) + 1);
            routing.SetEndpoints(service, i % 2 == 0 ? [new ServiceEndpoint("127.0.0.1", 40000 + i)] : []);
            GC.Collect();
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var start = Stopwatch.GetTimestamp();
            var next = builder.Build(routing.Current, previous);
            incremental.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            incrementalAllocated.Add((GC.GetAllocatedBytesForCurrentThread() - allocated) / 1024.0);

            // What a publish checks: only what changed since the snapshot being served.
            start = Stopwatch.GetTimestamp();
            var problems = XdsSnapshotConsistency.Check(next, checkedBefore: previous);
            incrementalCheck.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            if (problems.Count > 0)
            {
                throw new InvalidOperationException(string.Join("; ", problems));
            }

            previous = next;
        }

        // Retained: the heap with one more snapshot alive (the routing table it points at is already there).
        snapshot = null!;
        previous = null!;
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var kept = builder.Build(routing.Current);
        var retained = (GC.GetTotalMemory(forceFullCollection: true) - before) / 1024.0;
        var wire = XdsTypes.PushOrder.Sum(t => kept.Get(t)!.Resources.Values.Sum(r => (long)r.Packed.CalculateSize()));
        GC.KeepAlive(kept);

        return new SnapshotResults(services, kept.Listeners.Resources.Count, kept.RouteConfigurations.Resources.Count, kept.Clusters.Resources.Count,
            kept.LoadAssignments.Resources.Count, wire, Stats.Of(full), Stats.Of(fullAllocated), Stats.Of(incremental), Stats.Of(incrementalAllocated),
            Stats.Of(check), Stats.Of(incrementalCheck), retained);
    }
}
