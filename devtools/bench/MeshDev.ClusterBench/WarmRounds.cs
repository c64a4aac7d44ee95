using MeshDev.Kubernetes.Tests.ApiServer;

namespace MeshDev.ClusterBench;

/// <summary>Where wrk runs (a pod's network namespace, or the laptop when null) and what it loads.</summary>
internal sealed record WarmTarget(string Name, string Description, PodNetwork? From, Uri Url);

/// <summary>The runs of one warm measure: every target under every load, round after round.</summary>
internal sealed record WarmResult(IReadOnlyList<WarmTarget> Targets, IReadOnlyList<WrkLoad> Loads, int Rounds, IReadOnlyList<(int Round, WrkRun Run)> Runs, IReadOnlyList<CpuMeter> Meters)
{
    public IEnumerable<WrkRun> Of(string target, WrkLoad load) =>
        Runs.Select(r => r.Run).Where(r => r.Target == target && r.Connections == load.Connections);

    public double Median(string target, WrkLoad load, Func<WrkRun, double> metric) => Stats.Median([.. Of(target, load).Select(metric)]);

    /// <summary>
    /// The median over the rounds of <paramref name="target"/> ÷ <paramref name="baseline"/> within each round: the two
    /// ran seconds apart, so drifting machine load hits both alike.
    /// </summary>
    public double PairedRatio(string target, string baseline, WrkLoad load, Func<WrkRun, double> metric) => Stats.Median([..
        Runs.Where(r => r.Run.Connections == load.Connections)
            .GroupBy(r => r.Round)
            .Select(g => (Target: g.FirstOrDefault(r => r.Run.Target == target).Run, Baseline: g.FirstOrDefault(r => r.Run.Target == baseline).Run))
            .Where(p => p.Target is not null && p.Baseline is not null)
            .Select(p => metric(p.Target) / metric(p.Baseline))]);
}

/// <summary>
/// Runs wrk against every target under every load: one discarded warm-up run per target and load, then rounds in
/// which the targets' order rotates, so none always runs first or right after another.
/// </summary>
internal static class WarmRounds
{
    /// <param name="meters">The parts of the paths whose CPU each counted run is charged with.</param>
    /// <param name="around">Wraps each counted run (e.g. to look at the path while it runs); null runs it as is.</param>
    public static async Task<WarmResult> RunAsync(
        IReadOnlyList<WarmTarget> targets, IReadOnlyList<WrkLoad> loads, TimeSpan warmup, int rounds, IReadOnlyList<CpuMeter> meters,
        Func<WarmTarget, WrkLoad, Func<Task<WrkRun>>, Task<WrkRun>>? around, CancellationToken cancellationToken)
    {
        foreach (var load in loads)
        {
            foreach (var target in targets)
            {
                var run = await Wrk.RunAsync(target.Name, target.From, target.Url, load with { Duration = warmup }, cancellationToken).ConfigureAwait(false);
                Console.WriteLine($"  warm-up c{load.Connections,-3} {target.Name,-20}: {run.RequestsPerSecond,8:0} req/s  p50 {Stats.Ms(run.P50Ms)}");
            }
        }

        var runs = new List<(int, WrkRun)>();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var load in loads)
            {
                for (var k = 0; k < targets.Count; k++)
                {
                    var target = targets[(round + k) % targets.Count];
                    async Task<WrkRun> Run()
                    {
                        var before = meters.Select(m => m.Seconds()).ToArray();
                        var run = await Wrk.RunAsync(target.Name, target.From, target.Url, load, cancellationToken).ConfigureAwait(false);
                        var cpu = meters.Select((m, i) => (m.Name, UsPerRequest: (m.Seconds() - before[i]) * 1e6 / Math.Max(1, run.Requests)));
                        return run with { CpuUsPerRequest = cpu.ToDictionary(c => c.Name, c => c.UsPerRequest) };
                    }

                    var run = around is null ? await Run().ConfigureAwait(false) : await around(target, load, Run).ConfigureAwait(false);
                    runs.Add((round, run));
                    Console.WriteLine($"  round {round + 1}/{rounds} c{load.Connections,-3} {target.Name,-20}: {run.RequestsPerSecond,8:0} req/s  " +
                                      $"p50 {Stats.Ms(run.P50Ms)}  p99 {Stats.Ms(run.P99Ms)}" + (run.Errors > 0 ? $"  ERRORS {run.Errors}" : ""));
                }
            }
        }

        return new WarmResult(targets, loads, rounds, runs, meters);
    }
}
