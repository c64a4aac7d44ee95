using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using MeshDev.Runtime;

namespace MeshDev.Bench;

/// <summary>One wrk run against one target, with the CPU the proxy and the backend spent during it.</summary>
internal sealed record WrkRun(string Target, double RequestsPerSecond, long Requests, double P50Ms, double P90Ms, double P99Ms, long Errors, double ProxyCpuUsPerRequest, double BackendCpuUsPerRequest, MeshGc Gc);

/// <summary>The GC work of this process (the mesh) during one wrk run: allocation per request, gen0/gen2 collections, share of time paused.</summary>
internal sealed record MeshGc(double BytesPerRequest, double Gen0PerThousandRequests, int Gen2, double PausePercent)
{
    public static (long Allocated, int Gen0, int Gen2, TimeSpan Paused, long Timestamp) Sample() =>
        (GC.GetTotalAllocatedBytes(precise: false), GC.CollectionCount(0), GC.CollectionCount(2), GC.GetTotalPauseDuration(), Stopwatch.GetTimestamp());

    public static MeshGc Between((long Allocated, int Gen0, int Gen2, TimeSpan Paused, long Timestamp) before, long requests)
    {
        var after = Sample();
        var elapsed = Stopwatch.GetElapsedTime(before.Timestamp, after.Timestamp);
        return new MeshGc(
            requests == 0 ? double.NaN : (after.Allocated - before.Allocated) / (double)requests,
            requests == 0 ? double.NaN : (after.Gen0 - before.Gen0) * 1000.0 / requests,
            after.Gen2 - before.Gen2,
            (after.Paused - before.Paused) / elapsed * 100);
    }
}

internal sealed record WarmPathResult(string WrkArguments, IReadOnlyList<WrkRun> Runs, int Rounds, string NginxVersion, IReadOnlyList<(string Type, double Share, long Samples)>? Allocations)
{
    public IEnumerable<WrkRun> Of(string target) => Runs.Where(r => r.Target == target);
}

internal sealed record WarmPathSettings(int Threads, int Connections, TimeSpan Duration, TimeSpan Warmup, int Rounds, bool ProfileAllocations, bool ForwarderBaseline);

/// <summary>
/// Part (b): the warm path. One backend (the instance the mesh launched), three ways to reach it — directly, through the
/// mesh port, through nginx as a plain keep-alive reverse proxy — each loaded by wrk with the same settings, in
/// interleaved rounds (the order rotates each round).
/// </summary>
internal sealed partial class WarmPathBench(BenchContext context, BenchMesh mesh)
{
    public const string Direct = "direct";
    public const string Mesh = "mesh";
    public const string Nginx = "nginx";
    public const string Forwarder = "yarp-min";

    public async Task<WarmPathResult> RunAsync(WarmPathSettings settings, CancellationToken cancellationToken)
    {
        var wrk = FindOnPath("wrk") ?? throw new BenchException("wrk is not installed (devtools/bench/run.sh installs it: apt-get install -y wrk)");
        NginxProcess.Find();

        await mesh.Service.StartAsync(cancellationToken).ConfigureAwait(false);
        var backend = mesh.Service.Endpoint ?? throw new BenchException("the service is not ready after StartAsync");
        using var probeClient = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
        var whoami = await probeClient.GetFromJsonAsync<WhoAmI>(new Uri(backend.HttpUri, "whoami"), cancellationToken).ConfigureAwait(false)
            ?? throw new BenchException("no answer from /whoami");
        Console.WriteLine($"  backend: the mesh-launched test service at {backend} (pid {whoami.Pid})");

        var nginxPort = Ports.GetFreePort();
        var nginx = await StartNginxAsync(nginxPort, backend.Port, probeClient, cancellationToken).ConfigureAwait(false);
        ForwarderBaseline? baseline = null;
        try
        {
            var targets = new List<(string Name, int Port, Func<double> ProxyCpu)>
            {
                (Direct, backend.Port, () => 0),
                (Mesh, mesh.MeshPort, () => ChildProcesses.ProcessCpuSeconds(Environment.ProcessId)),
                (Nginx, nginxPort, () => ChildProcesses.GroupCpuSeconds(nginx.Pid)),
            };
            if (settings.ForwarderBaseline)
            {
                baseline = await ForwarderBaseline.StartAsync(Ports.GetFreePort(), backend.Port, cancellationToken).ConfigureAwait(false);
                await ForwarderBaseline.WaitUntilAnswersAsync(probeClient, new Uri($"http://127.0.0.1:{baseline.Port}/"), cancellationToken).ConfigureAwait(false);
                Console.WriteLine($"  minimal YARP forwarder (baseline): 127.0.0.1:{baseline.Port} → {backend}");
                targets.Add((Forwarder, baseline.Port, () => ChildProcesses.ProcessCpuSeconds(Environment.ProcessId)));
            }

            var arguments = $"-t{settings.Threads} -c{settings.Connections} -d{(int)settings.Duration.TotalSeconds}s --latency";
            foreach (var target in targets)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var warm = await RunWrkAsync(context, wrk, settings with { Duration = settings.Warmup }, target, whoami.Pid, cancellationToken).ConfigureAwait(false);
                Console.WriteLine($"  warm-up {target.Name,-6}: {warm.RequestsPerSecond,9:0} req/s");
            }

            var runs = new List<WrkRun>();
            for (var round = 0; round < settings.Rounds; round++)
            {
                for (var k = 0; k < targets.Count; k++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var target = targets[(round + k) % targets.Count];
                    var run = await RunWrkAsync(context, wrk, settings, target, whoami.Pid, cancellationToken).ConfigureAwait(false);
                    runs.Add(run);
                    Console.WriteLine($"  round {round + 1}/{settings.Rounds} {run.Target,-6}: {run.RequestsPerSecond,9:0} req/s  p50 {Stats.Ms(run.P50Ms)}  p99 {Stats.Ms(run.P99Ms)}" +
                                      $"  proxy {run.ProxyCpuUsPerRequest:0.0} µs/req  backend {run.BackendCpuUsPerRequest:0.0} µs/req" +
                                      (run.Target is Mesh or Forwarder ? $"  {run.Target} GC: {run.Gc.BytesPerRequest:0} B/req, {run.Gc.Gen0PerThousandRequests:0.00} gen0/1k req, {run.Gc.Gen2} gen2, {run.Gc.PausePercent:0.0}% paused" : "") +
                                      (run.Errors > 0 ? $"  ERRORS {run.Errors}" : ""));
                }
            }

            IReadOnlyList<(string Type, double Share, long Samples)>? allocations = null;
            if (settings.ProfileAllocations)
            {
                // An extra, uncounted mesh run: the event listener itself costs CPU.
                using var profile = new AllocationProfile();
                profile.Start();
                await RunWrkAsync(context, wrk, settings with { Duration = settings.Warmup }, targets[1], whoami.Pid, cancellationToken).ConfigureAwait(false);
                profile.Stop();
                allocations = profile.Top(20);
                Console.WriteLine("  allocation profile of the mesh (sampled bytes by type):");
                foreach (var (type, share, samples) in allocations)
                {
                    Console.WriteLine($"    {share,5:0.0}%  {samples,6} samples  {type}");
                }
            }

            return new WarmPathResult($"wrk {arguments}", runs, settings.Rounds, NginxProcess.Version(), allocations);
        }
        finally
        {
            context.Children.Stop(nginx, ChildProcesses.SigTerm, TimeSpan.FromSeconds(5));
            if (baseline is not null)
            {
                await baseline.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<Child> StartNginxAsync(int port, int backendPort, HttpClient client, CancellationToken cancellationToken)
    {
        var nginx = await NginxProcess.StartAsync(context, "nginx", port, prefix => NginxProcess.Http(prefix, string.Create(CultureInfo.InvariantCulture, $$"""
                upstream backend {
                    server 127.0.0.1:{{backendPort}};
                    keepalive 64;
                    keepalive_requests 100000000;
                }
                server {
                    listen 127.0.0.1:{{port}};
                    location / {
                        proxy_pass http://backend;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                    }
                }
            """)), cancellationToken).ConfigureAwait(false);

        // Listening is not enough: the first request must come back from the backend.
        using var response = await client.GetAsync(new Uri($"http://127.0.0.1:{port}/"), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            context.Children.Kill(nginx);
            throw new BenchException($"nginx answered {(int)response.StatusCode} instead of passing the request on");
        }

        return nginx;
    }

    /// <summary>One wrk run against <paramref name="target"/>; its GC figures are per request unless the target is no proxy of this process (direct, nginx).</summary>
    internal static async Task<WrkRun> RunWrkAsync(BenchContext context, string wrk, WarmPathSettings settings, (string Name, int Port, Func<double> ProxyCpu) target, int backendPid, CancellationToken cancellationToken)
    {
        var proxyBefore = target.ProxyCpu();
        var backendBefore = ChildProcesses.GroupCpuSeconds(backendPid);
        var gcBefore = MeshGc.Sample();
        var text = await context.Children.RunToEndAsync(wrk,
            [$"-t{settings.Threads}", $"-c{settings.Connections}", $"-d{(int)settings.Duration.TotalSeconds}s", "--latency", $"http://127.0.0.1:{target.Port}/"],
            settings.Duration + TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        var proxyCpu = target.ProxyCpu() - proxyBefore;
        var gcDuring = gcBefore;
        var backendCpu = ChildProcesses.GroupCpuSeconds(backendPid) - backendBefore;
        var parsed = ParseWrk(text) ?? throw new BenchException($"could not read wrk's output:\n{text}");
        return new WrkRun(target.Name, parsed.RequestsPerSecond, parsed.Requests, parsed.P50, parsed.P90, parsed.P99, parsed.Errors,
            parsed.Requests == 0 ? double.NaN : proxyCpu * 1e6 / parsed.Requests,
            parsed.Requests == 0 ? double.NaN : backendCpu * 1e6 / parsed.Requests,
            MeshGc.Between(gcDuring, target.Name is Direct or Nginx ? 0 : parsed.Requests));
    }

    private static (double RequestsPerSecond, long Requests, double P50, double P90, double P99, long Errors)? ParseWrk(string text)
    {
        var rps = RequestsPerSecondPattern().Match(text);
        var requests = RequestCountPattern().Match(text);
        if (!rps.Success || !requests.Success)
        {
            return null;
        }

        double Latency(string percent)
        {
            var match = Regex.Match(text, @"^\s*" + percent + @"%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
            return match.Success ? ToMs(match.Groups[1].Value, match.Groups[2].Value) : double.NaN;
        }

        long errors = 0;
        if (Non2xxPattern().Match(text) is { Success: true } non2xx)
        {
            errors += long.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture);
        }

        if (SocketErrorsPattern().Match(text) is { Success: true } socket)
        {
            errors += Enumerable.Range(1, 4).Sum(i => long.Parse(socket.Groups[i].Value, CultureInfo.InvariantCulture));
        }

        return (double.Parse(rps.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(requests.Groups[1].Value, CultureInfo.InvariantCulture),
            Latency("50"), Latency("90"), Latency("99"), errors);
    }

    private static double ToMs(string value, string unit) => double.Parse(value, CultureInfo.InvariantCulture) * unit switch
    {
        "us" => 0.001,
        "ms" => 1,
        _ => 1000,
    };

    internal static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecondPattern();

    [GeneratedRegex(@"(\d+) requests in ")]
    private static partial Regex RequestCountPattern();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex Non2xxPattern();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrorsPattern();

    private sealed record WhoAmI(string Name, int Pid, int Port);
}
