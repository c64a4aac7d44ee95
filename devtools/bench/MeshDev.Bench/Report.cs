using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text;
using static MeshDev.Bench.Shared.Stats;

namespace MeshDev.Bench;

/// <summary>Where and on what the bench ran.</summary>
internal sealed record Machine(string Date, string Cpus, string CpuModel, string Memory, string Kernel, string Commit, string Runtime, string Build, string LoadAtStart)
{
    public static Machine Describe(string repositoryRoot, string configuration)
    {
        var (commit, dirty) = HostFacts.Commit(repositoryRoot, shortHash: false);
        var memKb = HostFacts.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))?
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var memory = long.TryParse(memKb, CultureInfo.InvariantCulture, out var kb) ? $"{kb / 1024.0 / 1024.0:0.0} GiB RAM" : "RAM unknown";
        var nproc = HostFacts.Run("nproc", "")?.Trim() is { Length: > 0 } n ? n : Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture);
        var gc = GCSettings.IsServerGC ? "server GC" : "workstation GC";
        var concurrent = AppContext.GetData("System.GC.Concurrent") is bool c ? c : GCSettings.LatencyMode != GCLatencyMode.Batch;
        var tuning = string.Join(", ", Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => BenchContext.KnobDefaults.ContainsKey(k)
                || (k.StartsWith("DOTNET_", StringComparison.Ordinal) && (k.Contains("GC", StringComparison.OrdinalIgnoreCase) || k.Contains("Tiered", StringComparison.Ordinal) || k.Contains("ReadyToRun", StringComparison.Ordinal))))
            .Order()
            .Select(k => $"{k}={Environment.GetEnvironmentVariable(k)}"));
        // The mesh host's own runtime settings (src/MeshDev.Daemon/MeshHostProcess.props, in meshdev's runtimeconfig too).
        var spinLimit = AppContext.GetData("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit") is { } spin ? $"thread-pool spin limit {spin}" : "thread-pool spin-waiting at the default";
        return new Machine(
            DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
            nproc,
            HostFacts.CpuModel() ?? "unknown",
            memory,
            HostFacts.Kernel(),
            commit + (dirty > 0 ? $" (plus {dirty} uncommitted change(s) in the working tree)" : ""),
            $"{RuntimeInformation.FrameworkDescription}, {gc} ({(concurrent ? "concurrent" : "non-concurrent")}), {spinLimit}, " +
            (tuning.Length > 0 ? tuning : "default JIT settings (tiered compilation + PGO)"),
            configuration,
            HostFacts.LoadAverage());
    }
}

internal static class Report
{
    public const double ActivationTargetMs = 30;

    /// <summary>Issue 17's target for a service that opted into socket activation or sd_notify.</summary>
    public const double OptedInTargetMs = 5;
    public const double NginxRatioTarget = 0.8;

    public static string Build(Machine machine, string? label, IReadOnlyDictionary<string, string> meshEnvironment, ActivationResult? activation, WarmPathResult? warm)
    {
        var md = new StringBuilder();
        md.AppendLine("# MeshDev benchmark results");
        md.AppendLine();
        md.AppendLine("Written by `devtools/bench/run.sh` (project `devtools/bench/MeshDev.Bench`). Every figure below comes from this one run.");
        md.AppendLine();
        md.AppendLine("| | |");
        md.AppendLine("| --- | --- |");
        if (label is not null)
        {
            md.AppendLine($"| label | {label} |");
        }

        if (meshEnvironment.Count > 0)
        {
            md.AppendLine($"| mesh host only (`--mesh-env`) | {string.Join(", ", meshEnvironment.Select(e => $"`{e.Key}={e.Value}`"))} |");
        }

        md.AppendLine($"| date | {machine.Date} |");
        md.AppendLine($"| machine | nproc {machine.Cpus}, {machine.CpuModel}, {machine.Memory}, {machine.Kernel} |");
        md.AppendLine($"| commit | {machine.Commit} |");
        md.AppendLine($"| runtime | {machine.Runtime}; {machine.Build} build; the mesh runs inside the bench process |");
        md.AppendLine($"| load average (1/5/15 min) | {machine.LoadAtStart} at the start, {HostFacts.LoadAverage()} at the end (nproc {machine.Cpus}: anything else running skews the figures) |");
        md.AppendLine();

        if (activation is not null)
        {
            AppendActivation(md, activation);
        }

        if (warm is not null)
        {
            AppendWarmPath(md, warm);
        }

        return md.ToString();
    }

    private static void AppendActivation(StringBuilder md, ActivationResult result)
    {
        var direct = result.Direct.Select(r => r.TotalMs).ToArray();
        var mesh = result.Mesh.Select(r => r.TotalMs).ToArray();
        var paired = result.Mesh.Zip(result.Direct, (m, d) => m.TotalMs - d.TotalMs).ToArray();
        var overhead = Median(mesh) - Median(direct);

        md.AppendLine($"## (a) Activation overhead — {result.Direct.Count} rounds each, direct and mesh starts in an order that rotates each round (after {result.WarmupRounds} warm-up round(s) each)");
        md.AppendLine();
        md.AppendLine("| measurement | median | p90 | min | max |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: |");
        Row(md, "direct: spawn `dotnet MeshDev.TestService.dll` → first 200 on `GET /` (polled every ~1 ms)", direct);
        Row(md, $"direct with `{string.Join(' ', BenchMesh.SystemdFlags)}` (the baseline of the socket and notify services)", [.. result.DirectWithFlags.Select(r => r.TotalMs)]);
        Row(md, "mesh: `GET /` on the mesh port of the stopped service → 200", mesh);
        md.AppendLine($"| **activation overhead** (median − median; p90 − p90) | **{Signed(overhead)}** | {Signed(Percentile(mesh, 90) - Percentile(direct, 90))} | | |");
        md.AppendLine($"| overhead per round, paired (mesh<sub>i</sub> − direct<sub>i</sub>) | {Signed(Median(paired))} | {Signed(Percentile(paired, 90))} | {Signed(paired.Min())} | {Signed(paired.Max())} |");
        md.AppendLine();
        md.AppendLine($"Target: overhead ≤ {ActivationTargetMs:0} ms → **{(overhead <= ActivationTargetMs ? "met" : "not met")}** ({Ms(overhead)}).");
        md.AppendLine();
        AppendVariants(md, result);

        double M(IEnumerable<double> values) => Median(values.ToArray());
        md.AppendLine("Where the time goes (medians over the rounds; direct: ms after the spawn; mesh: ms after the request was sent):");
        md.AppendLine();
        md.AppendLine("| milestone | direct | mesh |");
        md.AppendLine("| --- | ---: | ---: |");
        md.AppendLine($"| process spawned | 0 | {Ms(M(result.Mesh.Select(r => r.SpawnMs)))} |");
        md.AppendLine($"| service prints \"listening on\" (Kestrel bound) | {Ms(M(result.Direct.Select(r => r.ListeningMs)))} | {Ms(M(result.Mesh.Select(r => r.ListeningMs)))} |");
        md.AppendLine($"| readiness seen (direct: first 200 on `GET /`; mesh: `/healthz` probe passed¹) | {Ms(Median(direct))} | {Ms(M(result.Mesh.Select(r => r.ReadyMs)))} |");
        md.AppendLine($"| response received | {Ms(Median(direct))} | {Ms(Median(mesh))} |");
        md.AppendLine($"| *spawn → \"listening on\"* | {Ms(M(result.Direct.Select(r => r.ListeningMs)))} | {Ms(M(result.Mesh.Select(r => r.ListeningMs - r.SpawnMs)))} |");
        md.AppendLine($"| *\"listening on\" → readiness seen* | {Ms(M(result.Direct.Select(r => r.TotalMs - r.ListeningMs)))} | {Ms(M(result.Mesh.Select(r => r.ReadyMs - r.ListeningMs)))} |");
        md.AppendLine($"| *readiness seen → response (mesh: `GET /` forwarded on a new upstream connection)* | 0 | {Ms(M(result.Mesh.Select(r => r.TotalMs - r.ReadyMs)))} |");
        md.AppendLine($"| *for comparison: the service's first call to its second endpoint (direct: `/healthz` right after the first `GET /`, not counted above)* | {Ms(M(result.Direct.Select(r => r.SecondEndpointMs)))} | |");
        md.AppendLine();
        md.AppendLine("¹ spawn + the activator's own \"ready in N ms\" (whole ms, counted from the start of the launch, which is a moment before the spawn).");
        md.AppendLine();
    }

    /// <summary>The overhead of each way the mesh learns readiness, against the same direct rounds.</summary>
    private static void AppendVariants(StringBuilder md, ActivationResult result)
    {
        md.AppendLine("By how the mesh learns that the service is ready, each against the direct rounds with the same arguments (the socket and notify services run the test service with `--systemd`, so their baseline does too):");
        md.AppendLine();
        md.AppendLine("| ready | baseline median | mesh median | p90 | overhead (median − median) | paired median | target |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var (variant, rounds) in result.Variants)
        {
            var baseline = result.BaselineOf(variant);
            var direct = baseline.Select(r => r.TotalMs).ToArray();
            var mesh = rounds.Select(r => r.TotalMs).ToArray();
            var overhead = Median(mesh) - Median(direct);
            var paired = rounds.Zip(baseline, (m, d) => m.TotalMs - d.TotalMs).ToArray();
            var target = variant.Key == "probe" ? ActivationTargetMs : OptedInTargetMs;
            md.AppendLine($"| {variant.Label} | {Ms(Median(direct))} | {Ms(Median(mesh))} | {Ms(Percentile(mesh, 90))} | **{Signed(overhead)}** | {Signed(Median(paired))} | ≤ {target:0} ms: {(overhead <= target ? "met" : "not met")} |");
        }

        md.AppendLine();
    }

    private static void AppendWarmPath(StringBuilder md, WarmPathResult result)
    {
        double MedianOf(string target, Func<WrkRun, double> metric) => Median(result.Of(target).Select(metric).ToArray());

        md.AppendLine($"## (b) Warm path — `{result.WrkArguments}`, median of {result.Rounds} round(s) per target (order rotated each round)");
        md.AppendLine();
        md.AppendLine("One backend for every target: the `MeshDev.TestService` instance the mesh launched, `GET /` (a plain-text minimal-API endpoint). " +
                      "Each figure is the median over the rounds. CPU per request: utime+stime from /proc over the wrk run ÷ requests; " +
                      "\"proxy\" is the whole bench process for the mesh (and the minimal forwarder), all nginx processes for nginx.");
        md.AppendLine();
        md.AppendLine("| target | req/s | p50 | p90 | p99 | proxy CPU / req | backend CPU / req | errors |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var rows = new List<(string Target, string Name)> { (WarmPathBench.Direct, "direct to the service"), (WarmPathBench.Mesh, "through the mesh (mesh port)"), (WarmPathBench.Nginx, $"through nginx ({result.NginxVersion}, keepalive 64)") };
        if (result.Of(WarmPathBench.Forwarder).Any())
        {
            rows.Add((WarmPathBench.Forwarder, "through a minimal Kestrel + YARP `IHttpForwarder` (`--baseline-forwarder`, same process as the mesh)"));
        }

        foreach (var (target, name) in rows)
        {
            md.AppendLine($"| {name} | {Number(MedianOf(target, r => r.RequestsPerSecond), "0")} | {Ms(MedianOf(target, r => r.P50Ms))} | {Ms(MedianOf(target, r => r.P90Ms))} | {Ms(MedianOf(target, r => r.P99Ms))} | " +
                          $"{(target == WarmPathBench.Direct ? "–" : Number(MedianOf(target, r => r.ProxyCpuUsPerRequest), "0.0") + " µs")} | {Number(MedianOf(target, r => r.BackendCpuUsPerRequest), "0.0")} µs | {result.Of(target).Sum(r => r.Errors)} |");
        }

        md.AppendLine();
        md.AppendLine($"The mesh process during the mesh runs (medians): {Number(MedianOf(WarmPathBench.Mesh, r => r.Gc.BytesPerRequest), "0")} bytes allocated per proxied request, " +
                      $"{Number(MedianOf(WarmPathBench.Mesh, r => r.Gc.Gen0PerThousandRequests), "0.00")} gen0 GCs per 1000 requests, " +
                      $"{result.Of(WarmPathBench.Mesh).Sum(r => r.Gc.Gen2)} gen2 GCs in all, {Number(MedianOf(WarmPathBench.Mesh, r => r.Gc.PausePercent), "0.0")}% of the time paused for GC.");

        var meshRps = MedianOf(WarmPathBench.Mesh, r => r.RequestsPerSecond);
        var nginxRatio = meshRps / MedianOf(WarmPathBench.Nginx, r => r.RequestsPerSecond);
        md.AppendLine();
        md.AppendLine("| ratio | value |");
        md.AppendLine("| --- | ---: |");
        // Rounds are interleaved, so a round's targets saw about the same machine load: the per-round ratio is the steadier figure.
        double PairedRatio(string target, Func<WrkRun, double> metric) => Median(result.Runs
            .Select((run, index) => (run, round: index / Math.Max(1, result.Runs.Count / Math.Max(1, result.Rounds))))
            .GroupBy(x => x.round)
            .Select(g => (mesh: g.FirstOrDefault(x => x.run.Target == WarmPathBench.Mesh).run, other: g.FirstOrDefault(x => x.run.Target == target).run))
            .Where(p => p.mesh is not null && p.other is not null)
            .Select(p => metric(p.mesh!) / metric(p.other!))
            .ToArray());
        var pairedNginx = PairedRatio(WarmPathBench.Nginx, r => r.RequestsPerSecond);
        md.AppendLine($"| mesh / direct, req/s (ratio of medians; median of per-round ratios) | {Number(meshRps / MedianOf(WarmPathBench.Direct, r => r.RequestsPerSecond), "0.000")}×; {Number(PairedRatio(WarmPathBench.Direct, r => r.RequestsPerSecond), "0.000")}× |");
        md.AppendLine($"| **mesh / nginx, req/s** (ratio of medians; median of per-round ratios) — target ≥ {NginxRatioTarget:0.0}× | **{Number(nginxRatio, "0.000")}×** ({(nginxRatio >= NginxRatioTarget ? "met" : "not met")}); {Number(pairedNginx, "0.000")}× ({(pairedNginx >= NginxRatioTarget ? "met" : "not met")}) |");
        if (result.Of(WarmPathBench.Forwarder).Any())
        {
            md.AppendLine($"| mesh / minimal forwarder, req/s (ratio of medians; median of per-round ratios) | {Number(meshRps / MedianOf(WarmPathBench.Forwarder, r => r.RequestsPerSecond), "0.000")}×; {Number(PairedRatio(WarmPathBench.Forwarder, r => r.RequestsPerSecond), "0.000")}× |");
            md.AppendLine($"| minimal forwarder / nginx, req/s (ratio of medians) | {Number(MedianOf(WarmPathBench.Forwarder, r => r.RequestsPerSecond) / MedianOf(WarmPathBench.Nginx, r => r.RequestsPerSecond), "0.000")}× |");
        }

        md.AppendLine($"| mesh / nginx, p50 latency | {Number(MedianOf(WarmPathBench.Mesh, r => r.P50Ms) / MedianOf(WarmPathBench.Nginx, r => r.P50Ms), "0.00")}× |");
        md.AppendLine($"| mesh / nginx, p99 latency | {Number(MedianOf(WarmPathBench.Mesh, r => r.P99Ms) / MedianOf(WarmPathBench.Nginx, r => r.P99Ms), "0.00")}× |");
        md.AppendLine($"| mesh / nginx, proxy CPU per request | {Number(MedianOf(WarmPathBench.Mesh, r => r.ProxyCpuUsPerRequest) / MedianOf(WarmPathBench.Nginx, r => r.ProxyCpuUsPerRequest), "0.00")}× |");
        if (result.Allocations is { Count: > 0 } allocations)
        {
            md.AppendLine();
            md.AppendLine("Allocation profile of the mesh (`--profile-alloc`: GCAllocationTick samples from one extra, uncounted mesh run):");
            md.AppendLine();
            md.AppendLine("| share of sampled bytes | samples | type |");
            md.AppendLine("| ---: | ---: | --- |");
            foreach (var (type, share, samples) in allocations)
            {
                md.AppendLine($"| {Number(share, "0.0")}% | {samples} | `{type}` |");
            }
        }

        md.AppendLine();
        md.AppendLine("All rounds:");
        md.AppendLine();
        md.AppendLine("| round | target | req/s | p50 | p99 | proxy CPU / req | backend CPU / req |");
        md.AppendLine("| ---: | --- | ---: | ---: | ---: | ---: | ---: |");
        var perRound = result.Runs.Count / Math.Max(1, result.Rounds);
        for (var i = 0; i < result.Runs.Count; i++)
        {
            var r = result.Runs[i];
            md.AppendLine($"| {i / Math.Max(1, perRound) + 1} | {r.Target} | {Number(r.RequestsPerSecond, "0")} | {Ms(r.P50Ms)} | {Ms(r.P99Ms)} | " +
                          $"{(r.Target == WarmPathBench.Direct ? "–" : Number(r.ProxyCpuUsPerRequest, "0.0") + " µs")} | {Number(r.BackendCpuUsPerRequest, "0.0")} µs |");
        }

        md.AppendLine();
    }

    private static void Row(StringBuilder md, string name, IReadOnlyList<double> values) =>
        md.AppendLine($"| {name} | {Ms(Median(values))} | {Ms(Percentile(values, 90))} | {Ms(values.Min())} | {Ms(values.Max())} |");
}
