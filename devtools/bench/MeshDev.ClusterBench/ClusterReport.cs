using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text;
using static MeshDev.Bench.Shared.Stats;

namespace MeshDev.ClusterBench;

/// <summary>Where and on what the bench ran.</summary>
internal sealed record ClusterMachine(string Date, string Cpus, string CpuModel, string Memory, string Kernel, string Commit, string Runtime, string LoadAtStart)
{
    public static ClusterMachine Describe(string repositoryRoot)
    {
        var (commit, dirty) = HostFacts.Commit(repositoryRoot, shortHash: false);
        var memKb = HostFacts.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))?
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var memory = long.TryParse(memKb, CultureInfo.InvariantCulture, out var kb) ? $"{kb / 1024.0 / 1024.0:0.0} GiB RAM" : "RAM unknown";
        var nproc = HostFacts.Run("nproc", "")?.Trim() is { Length: > 0 } n ? n : Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture);
        var spin = AppContext.GetData("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit") is { } s ? $"thread-pool spin limit {s}" : "thread-pool spin-waiting at the default";
        return new ClusterMachine(
            DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
            nproc,
            HostFacts.CpuModel() ?? "unknown",
            memory,
            HostFacts.Kernel(),
            commit + (dirty > 0 ? $" (plus {dirty} uncommitted change(s) in the working tree)" : ""),
            $"{RuntimeInformation.FrameworkDescription}, {(GCSettings.IsServerGC ? "server" : "workstation")} GC, {spin}",
            HostFacts.LoadAverage());
    }
}

internal sealed record ClusterResults(
    ClusterMachine Machine,
    string? Label,
    string GatewayBinary,
    FootprintResult? Footprint,
    IReadOnlyList<GatewayMemory> PodGatewayMemory,
    ColdResult? Cold,
    WarmResult? Laptop,
    PodToPodResult? Pods,
    WrkLoad LatencyLoad,
    WrkLoad ThroughputLoad);

/// <summary>The Markdown report: machine facts, each figure against its baseline from the same run, and pass/fail.</summary>
internal static class ClusterReport
{
    public const double ColdOverheadTargetMs = 30;
    public const double LatencyRatioTarget = 1.2;
    public const double ThroughputRatioTarget = 0.8;
    public const double ImageTargetMb = 20;
    public const double RssTargetMb = 50;

    public static string Build(ClusterResults r)
    {
        var md = new StringBuilder();
        md.AppendLine("# Issue 14 benchmark: pods join the mesh (API-server stand-in)");
        md.AppendLine();
        md.AppendLine("Written by `devtools/bench/run-cluster.sh` (project `devtools/bench/MeshDev.ClusterBench`). Every figure below comes from this one run; every ratio is against a baseline measured in the same run.");
        md.AppendLine();
        md.AppendLine("| | |");
        md.AppendLine("| --- | --- |");
        if (r.Label is not null)
        {
            md.AppendLine($"| label | {r.Label} |");
        }

        md.AppendLine($"| date | {r.Machine.Date} |");
        md.AppendLine($"| machine | nproc {r.Machine.Cpus}, {r.Machine.CpuModel}, {r.Machine.Memory}, {r.Machine.Kernel} |");
        md.AppendLine($"| commit | {r.Machine.Commit} |");
        md.AppendLine($"| runtime | {r.Machine.Runtime}; Release build; the laptop mesh and the API-server stand-in run inside the bench process |");
        md.AppendLine($"| gateway sidecar | the NativeAOT binary `{r.GatewayBinary}` |");
        md.AppendLine($"| load average (1/5/15 min) | {r.Machine.LoadAtStart} at the start, {HostFacts.LoadAverage()} at the end (nproc {r.Machine.Cpus}: anything else running skews the figures) |");
        md.AppendLine();
        AppendSummary(md, r);
        AppendStandInNote(md);
        if (r.Cold is { } cold)
        {
            AppendCold(md, cold);
        }

        if (r.Laptop is { } laptop)
        {
            AppendLaptop(md, laptop, r.LatencyLoad, r.ThroughputLoad);
        }

        if (r.Pods is { } pods)
        {
            AppendPods(md, pods, r.LatencyLoad, r.ThroughputLoad);
        }

        if (r.Footprint is not null || r.PodGatewayMemory.Count > 0)
        {
            AppendFootprint(md, r.Footprint, r.PodGatewayMemory);
        }

        return md.ToString();
    }

    private static string Verdict(bool met) => met ? "**met**" : "**not met**";

    private static void AppendSummary(StringBuilder md, ClusterResults r)
    {
        md.AppendLine("## Summary");
        md.AppendLine();
        md.AppendLine("| measure | figure | baseline in the same run | target | result |");
        md.AppendLine("| --- | ---: | ---: | --- | --- |");
        if (r.Cold is { } cold)
        {
            var pod = Median([.. cold.Rounds.Select(x => x.PodMs)]);
            var laptop = Median([.. cold.Rounds.Select(x => x.LaptopMs)]);
            md.AppendLine($"| cold call from a pod to a stopped laptop service (median of {cold.Rounds.Count}) | {Ms(pod)} | {Ms(laptop)} on the laptop | ≤ baseline + {ColdOverheadTargetMs:0} ms | {Verdict(pod - laptop <= ColdOverheadTargetMs)} ({Signed(pod - laptop)}) |");
        }

        if (r.Laptop is { } warm)
        {
            var load = r.LatencyLoad;
            var pod = warm.Median(LaptopPathBench.PodToLaptop, load, x => x.P50Ms);
            var pf = warm.Median(LaptopPathBench.PortForward, load, x => x.P50Ms);
            var paired = warm.PairedRatio(LaptopPathBench.PodToLaptop, LaptopPathBench.PortForward, load, x => x.P50Ms);
            md.AppendLine($"| warm pod → laptop service, p50 (`{load.Describe()}`) | {Ms(pod)} | {Ms(pf)} laptop → pod through a plain port-forward | ≤ {LatencyRatioTarget:0.0}× | {Verdict(pod / pf <= LatencyRatioTarget)} ({Number(pod / pf, "0.00")}×; per-round median {Number(paired, "0.00")}×) |");
        }

        if (r.Pods is { } pods)
        {
            var load = r.ThroughputLoad;
            var gw = pods.Warm.Median(PodToPodBench.ThroughGateway, load, x => x.RequestsPerSecond);
            var ip = pods.Warm.Median(PodToPodBench.PodIp, load, x => x.RequestsPerSecond);
            var paired = pods.Warm.PairedRatio(PodToPodBench.ThroughGateway, PodToPodBench.PodIp, load, x => x.RequestsPerSecond);
            md.AppendLine($"| warm pod → ready pod, req/s (`{load.Describe()}`) | {Number(gw, "0")} | {Number(ip, "0")} pod → pod IP directly | ≥ {ThroughputRatioTarget:0.0}× | {Verdict(gw / ip >= ThroughputRatioTarget)} ({Number(gw / ip, "0.000")}×; per-round median {Number(paired, "0.000")}×) |");
        }

        if (r.Footprint is { } footprint)
        {
            // Targets in MB (10^6 bytes), the stricter reading; figures in both units.
            md.AppendLine($"| in-cluster part: image size (binary + libraries, uncompressed; gzip'd {Number(footprint.CompressedBytes / 1e6, "0.0")} MB) | {Number(footprint.UncompressedBytes / 1e6, "0.0")} MB ({Number(footprint.UncompressedBytes / 1024.0 / 1024.0, "0.0")} MiB) | — | ≤ {ImageTargetMb:0} MB | {Verdict(footprint.UncompressedBytes <= ImageTargetMb * 1e6)} |");
            if (footprint.Idle is { } idle)
            {
                md.AppendLine($"| in-cluster part: RSS idle ({footprint.IdlePorts} mesh ports, no link) | {Number(idle.RssMiB * 1024 * 1024 / 1e6, "0.0")} MB ({Number(idle.RssMiB, "0.0")} MiB) | — | ≤ {RssTargetMb:0} MB | {Verdict(idle.RssMiB * 1024 * 1024 <= RssTargetMb * 1e6)} |");
            }
        }

        if (r.PodGatewayMemory.Count > 0)
        {
            var largest = r.PodGatewayMemory.MaxBy(m => m.RssMiB)!;
            md.AppendLine($"| in-cluster part: RSS of a pod's gateway, the largest seen ({largest.Where}) | {Number(largest.RssMiB * 1024 * 1024 / 1e6, "0.0")} MB ({Number(largest.RssMiB, "0.0")} MiB) | — | ≤ {RssTargetMb:0} MB | {Verdict(largest.RssMiB * 1024 * 1024 <= RssTargetMb * 1e6)} |");
        }

        md.AppendLine();
    }

    private static void AppendStandInNote(StringBuilder md)
    {
        md.AppendLine("What the stand-in means for these figures: there is no cluster. The \"cluster\" is the in-process API-server stand-in, " +
                      "whose kubelet runs each pod's processes (MeshDev.TestService under `dotnet`, and the NativeAOT gateway) in the pod's own " +
                      "network namespace on this machine; pods reach each other over veth pairs and a bridge in a node namespace. So every hop " +
                      "that would cross a network is a veth on the same host (no wire latency, no bandwidth limit), and everything — the laptop " +
                      "mesh, the API server's port-forward relay (Kestrel WebSockets in the bench process), both pods, the laptop service and " +
                      "the load generator — shares the same cores. A path that adds processes or copies therefore costs CPU that the other side " +
                      "of the same measurement also needs; on a real cluster the API server, the kubelet and the pods run elsewhere and the " +
                      "port-forward crosses real networks, so the absolute figures do not transfer (devtools/k8s-smoke.sh records them there).");
        md.AppendLine();
    }

    private static void AppendCold(StringBuilder md, ColdResult cold)
    {
        var pod = cold.Rounds.Select(x => x.PodMs).ToArray();
        var laptop = cold.Rounds.Select(x => x.LaptopMs).ToArray();
        var paired = cold.Rounds.Select(x => x.PodMs - x.LaptopMs).ToArray();
        md.AppendLine($"## 1. Cold call to a stopped laptop service — {cold.Rounds.Count} rounds per side, alternating (after {cold.WarmupRounds} warm-up round(s) each)");
        md.AppendLine();
        md.AppendLine("The laptop service is `users` (MeshDev.TestService, `ready: { http: /healthz }`), stopped (`StopAsync`, then 300 ms to settle) before every call. " +
                      "Both sides use the same client in the bench process — an HttpClient on a fresh connection, `GET /`, timed from the request's start (connect included) to its whole body — " +
                      "so no process start is timed. On the pod's side the client's socket is created inside the orders pod's network namespace (`PodNetwork.ConnectAsync`, a thread that enters it with setns; about 0.1 ms), " +
                      "so 127.0.0.1:{mesh port of users} is the pod's own loopback: its gateway, which carries the call over the link to the laptop mesh. On the laptop's side it is the mesh port itself.");
        md.AppendLine();
        md.AppendLine("| side | median | p25 | p75 | min | max |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        md.AppendLine($"| from the pod (gateway → link → laptop mesh, which launches users) | {Ms(Median(pod))} | {Ms(Percentile(pod, 25))} | {Ms(Percentile(pod, 75))} | {Ms(pod.Min())} | {Ms(pod.Max())} |");
        md.AppendLine($"| on the laptop (mesh port) — baseline | {Ms(Median(laptop))} | {Ms(Percentile(laptop, 25))} | {Ms(Percentile(laptop, 75))} | {Ms(laptop.Min())} | {Ms(laptop.Max())} |");
        md.AppendLine($"| **difference** (median − median) | **{Signed(Median(pod) - Median(laptop))}** | | | | |");
        md.AppendLine($"| difference per round, paired | {Signed(Median(paired))} | {Signed(Percentile(paired, 25))} | {Signed(Percentile(paired, 75))} | {Signed(paired.Min())} | {Signed(paired.Max())} |");
        md.AppendLine();
        double M(Func<ColdRound, double> metric) => Median([.. cold.Rounds.Select(metric)]);
        md.AppendLine("Where the time goes (medians, ms after the call's start; launch: the activator's state Starting, i.e. the request reached the laptop mesh; ready: its `/healthz` probe passed; " +
                      "both seen through the activator's StateChanged event, a thread-pool hop late on both sides alike):");
        md.AppendLine();
        md.AppendLine("| milestone | from the pod | on the laptop | difference |");
        md.AppendLine("| --- | ---: | ---: | ---: |");
        void Milestone(string name, Func<ColdCall, double> metric) =>
            md.AppendLine($"| {name} | {Ms(M(x => metric(x.Pod)))} | {Ms(M(x => metric(x.Laptop)))} | {Signed(M(x => metric(x.Pod)) - M(x => metric(x.Laptop)))} |");
        Milestone("launch begins (request → laptop mesh)", c => c.StartingMs);
        Milestone("service ready", c => c.ReadyMs);
        Milestone("response in", c => c.TotalMs);
        Milestone("*launch → ready (the service's start)*", c => c.ReadyMs - c.StartingMs);
        Milestone("*ready → response (forwarded, answered, carried back)*", c => c.TotalMs - c.ReadyMs);
        md.AppendLine();
        md.AppendLine($"Launches of users during the measure (warm-up included): {cold.Launches}, one per call. Target: ≤ baseline + {ColdOverheadTargetMs:0} ms → {Verdict(Median(pod) - Median(laptop) <= ColdOverheadTargetMs)}.");
        md.AppendLine();
    }

    private static void AppendWarmTable(StringBuilder md, WarmResult warm, WrkLoad load)
    {
        md.AppendLine($"`{load.Describe()}`, medians of {warm.Rounds} round(s):");
        md.AppendLine();
        md.AppendLine("| target | path | req/s | p50 | p90 | p99 | errors |");
        md.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var target in warm.Targets)
        {
            md.AppendLine($"| {target.Name} | {target.Description} | {Number(warm.Median(target.Name, load, x => x.RequestsPerSecond), "0")} | " +
                          $"{Ms(warm.Median(target.Name, load, x => x.P50Ms))} | {Ms(warm.Median(target.Name, load, x => x.P90Ms))} | {Ms(warm.Median(target.Name, load, x => x.P99Ms))} | " +
                          $"{warm.Of(target.Name, load).Sum(x => x.Errors)} |");
        }

        md.AppendLine();
        md.AppendLine($"CPU per request (µs, utime+stime from /proc over the wrk run ÷ its requests; medians; the bench process holds the laptop mesh and the API-server stand-in, so also its port-forward relay):");
        md.AppendLine();
        md.AppendLine("| target | " + string.Join(" | ", warm.Meters.Select(m => m.Name)) + " | sum |");
        md.AppendLine("| --- | " + string.Join(" | ", warm.Meters.Select(_ => "---:")) + " | ---: |");
        foreach (var target in warm.Targets)
        {
            var cpu = warm.Meters.Select(m => warm.Median(target.Name, load, x => x.CpuUsPerRequest.GetValueOrDefault(m.Name, double.NaN))).ToArray();
            md.AppendLine($"| {target.Name} | " + string.Join(" | ", cpu.Select(c => Number(c, "0.0"))) + $" | {Number(cpu.Sum(), "0.0")} |");
        }

        md.AppendLine();
    }

    private static void AppendLaptop(StringBuilder md, WarmResult warm, WrkLoad latency, WrkLoad throughput)
    {
        md.AppendLine($"## 2. Warm pod → laptop service — wrk, {warm.Rounds} round(s) per target and load, order rotated each round");
        md.AppendLine();
        md.AppendLine("Server: MeshDev.TestService `GET /` on both sides (users on the laptop, a process the mesh launched; orders in its pod). " +
                      "wrk runs inside the orders pod's network namespace (nsenter) for the pod's side, on the laptop for the others. " +
                      "The baseline is the opposite direction over the same transport: the laptop → the orders pod through a plain port-forward " +
                      "(the runtime's PortForwardListener, one API-server port-forward WebSocket per connection), with no mesh in between.");
        md.AppendLine();
        foreach (var load in new[] { latency, throughput })
        {
            AppendWarmTable(md, warm, load);
        }

        md.AppendLine("| ratio | " + string.Join(" | ", new[] { latency, throughput }.Select(l => $"c{l.Connections}")) + " |");
        md.AppendLine("| --- | " + string.Join(" | ", new[] { latency, throughput }.Select(_ => "---:")) + " |");
        void Ratio(string name, string a, string b, Func<WrkRun, double> metric, string format) =>
            md.AppendLine($"| {name} | " + string.Join(" | ", new[] { latency, throughput }.Select(l =>
                $"{Number(warm.Median(a, l, metric) / warm.Median(b, l, metric), format)}×; {Number(warm.PairedRatio(a, b, l, metric), format)}×")) + " |");
        Ratio($"**pod → users ÷ laptop → orders (pf), p50** (ratio of medians; median of per-round ratios) — target ≤ {LatencyRatioTarget:0.0}× at c{latency.Connections}", LaptopPathBench.PodToLaptop, LaptopPathBench.PortForward, x => x.P50Ms, "0.00");
        Ratio("pod → users ÷ laptop → orders (pf), req/s", LaptopPathBench.PodToLaptop, LaptopPathBench.PortForward, x => x.RequestsPerSecond, "0.00");
        Ratio("pod → users ÷ laptop → orders (mesh), p50 (the same parts, opposite direction, plus the gateway and the link's framing)", LaptopPathBench.PodToLaptop, LaptopPathBench.MeshAndPortForward, x => x.P50Ms, "0.00");
        Ratio("laptop → users (mesh) ÷ laptop → orders (pf), p50 (the laptop mesh alone against the port-forward alone)", LaptopPathBench.MeshOnly, LaptopPathBench.PortForward, x => x.P50Ms, "0.00");
        md.AppendLine();
        md.AppendLine($"Where the pod's p50 goes at c{latency.Connections} (differences of medians): laptop mesh alone (laptop → users (mesh)) {Ms(warm.Median(LaptopPathBench.MeshOnly, latency, x => x.P50Ms))}; " +
                      $"the rest — gateway, link framing, the API server's port-forward relay and the hops on the pod's loopback — {Signed(warm.Median(LaptopPathBench.PodToLaptop, latency, x => x.P50Ms) - warm.Median(LaptopPathBench.MeshOnly, latency, x => x.P50Ms))}; " +
                      $"the plain port-forward alone (baseline) {Ms(warm.Median(LaptopPathBench.PortForward, latency, x => x.P50Ms))}.");
        md.AppendLine();
        AppendRounds(md, warm);
    }

    private static void AppendPods(StringBuilder md, PodToPodResult pods, WrkLoad latency, WrkLoad throughput)
    {
        var warm = pods.Warm;
        md.AppendLine($"## 3. Warm pod → ready pod — wrk in the orders pod ({pods.CallerIp}) → stock ({pods.CalledIp}), {warm.Rounds} round(s) per target and load, order rotated each round");
        md.AppendLine();
        foreach (var load in new[] { throughput, latency })
        {
            AppendWarmTable(md, warm, load);
        }

        md.AppendLine("| ratio | " + string.Join(" | ", new[] { throughput, latency }.Select(l => $"c{l.Connections}")) + " |");
        md.AppendLine("| --- | " + string.Join(" | ", new[] { throughput, latency }.Select(_ => "---:")) + " |");
        md.AppendLine($"| **gateway ÷ pod IP, req/s** (ratio of medians; median of per-round ratios) — target ≥ {ThroughputRatioTarget:0.0}× at c{throughput.Connections} | " +
                      string.Join(" | ", new[] { throughput, latency }.Select(l =>
                          $"{Number(warm.Median(PodToPodBench.ThroughGateway, l, x => x.RequestsPerSecond) / warm.Median(PodToPodBench.PodIp, l, x => x.RequestsPerSecond), "0.000")}×; " +
                          $"{Number(warm.PairedRatio(PodToPodBench.ThroughGateway, PodToPodBench.PodIp, l, x => x.RequestsPerSecond), "0.000")}×")) + " |");
        md.AppendLine("| gateway ÷ pod IP, p50 | " + string.Join(" | ", new[] { throughput, latency }.Select(l =>
            $"{Number(warm.Median(PodToPodBench.ThroughGateway, l, x => x.P50Ms) / warm.Median(PodToPodBench.PodIp, l, x => x.P50Ms), "0.00")}×")) + " |");
        md.AppendLine();
        md.AppendLine("The path of every counted gateway run, checked while it ran: the peers of stock's server halfway through (`ss` in the stock pod: the orders pod's IP when the gateway connects directly, " +
                      "127.0.0.1 when a call came through the laptop and the API server's port-forward), and the requests the laptop mesh counted for stock (from the gateway's reports) against those wrk made:");
        md.AppendLine();
        md.AppendLine("| run | established from the orders pod just before the run | peers from the orders pod | peers from 127.0.0.1 (port-forward) | other peers | requests sent (wrk) | counted by the laptop mesh |");
        md.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (var i = 0; i < pods.Checks.Count; i++)
        {
            var c = pods.Checks[i];
            md.AppendLine($"| {i + 1} | {c.BeforeFromCallerPod} | {c.FromCallerPod} | {c.FromPortForward} | {c.Other} | {c.Sent} | {c.Counted} |");
        }

        md.AppendLine();
        AppendRounds(md, warm);
    }

    private static void AppendRounds(StringBuilder md, WarmResult warm)
    {
        md.AppendLine("<details><summary>All rounds</summary>");
        md.AppendLine();
        md.AppendLine("| round | c | target | req/s | p50 | p99 | errors |");
        md.AppendLine("| ---: | ---: | --- | ---: | ---: | ---: | ---: |");
        foreach (var (round, run) in warm.Runs)
        {
            md.AppendLine($"| {round + 1} | {run.Connections} | {run.Target} | {Number(run.RequestsPerSecond, "0")} | {Ms(run.P50Ms)} | {Ms(run.P99Ms)} | {run.Errors} |");
        }

        md.AppendLine();
        md.AppendLine("</details>");
        md.AppendLine();
    }

    private static void AppendFootprint(StringBuilder md, FootprintResult? footprint, IReadOnlyList<GatewayMemory> pods)
    {
        md.AppendLine("## 4. The in-cluster part (the NativeAOT gateway)");
        md.AppendLine();
        if (footprint is not null)
        {
            md.AppendLine("The image is FROM scratch: the binary and, at the paths `ldd` names, the libraries it links against (the layout src/MeshDev.Gateway's publish makes for it). " +
                          "Its size here is the sum of those files — the image's one layer, about what `docker images` shows — and, for what a node pulls, the gzip'd tar of them.");
            md.AppendLine();
            md.AppendLine("| file | bytes |");
            md.AppendLine("| --- | ---: |");
            foreach (var file in footprint.Files)
            {
                md.AppendLine($"| `{file.Path}` | {file.Bytes:N0} |");
            }

            md.AppendLine($"| **total** | **{footprint.UncompressedBytes:N0}** ({Number(footprint.UncompressedBytes / 1024.0 / 1024.0, "0.0")} MiB) |");
            md.AppendLine($"| gzip'd tar of the above | {footprint.CompressedBytes:N0} ({Number(footprint.CompressedBytes / 1024.0 / 1024.0, "0.0")} MiB) |");
            md.AppendLine();
        }

        md.AppendLine("Resident memory (VmRSS, and the peak VmHWM, from /proc/PID/status):");
        md.AppendLine();
        md.AppendLine("| gateway | VmRSS | VmHWM |");
        md.AppendLine("| --- | ---: | ---: |");
        foreach (var memory in (footprint?.Idle is { } idle ? [idle] : Array.Empty<GatewayMemory>()).Concat(pods))
        {
            md.AppendLine($"| {memory.Where} | {Number(memory.RssMiB, "0.0")} MiB | {Number(memory.PeakRssMiB, "0.0")} MiB |");
        }

        md.AppendLine();
    }
}
