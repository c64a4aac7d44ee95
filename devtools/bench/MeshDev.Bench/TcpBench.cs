using MeshDev.Runtime;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace MeshDev.Bench;

/// <summary>One tcpbench run against one target: round trips per second and their latency, or bulk MiB/s.</summary>
internal sealed record TcpRun(string Target, double Rate, double P50Us, double P99Us, long Errors, double ProxyCpuUsPerUnit);

/// <summary>
/// (f) TCP through a <c>protocol: tcp</c> mesh port: 32 connections of 1 KiB request/response round trips, and one bulk
/// 1 GiB stream (written and echoed back at once), against an echo backend the mesh launched, three ways in
/// interleaved rounds: directly, through the mesh port, through nginx <c>stream</c> (<c>proxy_pass</c>, workers = cores,
/// <c>proxy_half_close on</c> as the mesh passes a half-close on too).
/// The client and the backend are devtools/bench/tcp/tcpbench.cpp, compiled here (g++ -O2). Issue 17's target: the
/// mesh ≥ 1.0× nginx <c>stream</c>.
/// </summary>
internal static partial class TcpBench
{
    private const string Direct = "direct";
    private const string Mesh = "mesh";
    private const string Nginx = "nginx";
    private const int Connections = 32;
    private const int MessageBytes = 1024;
    private const long BulkBytes = 1L << 30;

    public static async Task<string> RunAsync(BenchContext context, string repositoryRoot, int rounds, int seconds, CancellationToken cancellationToken)
    {
        var tool = await CompileAsync(context, repositoryRoot, cancellationToken).ConfigureAwait(false);
        await using var mesh = await SingleServiceMesh.StartAsync(context, "echo",
            [$"command: '{tool}'", "args: [echo, '${PORT}']", "protocol: tcp", "ready: { tcp: true }"], cancellationToken).ConfigureAwait(false);

        var nginxPort = Ports.GetFreePort();
        var nginx = await NginxProcess.StartAsync(context, "nginx-stream", nginxPort, _ => string.Create(CultureInfo.InvariantCulture, $$"""
            stream {
                upstream echo {
                    server 127.0.0.1:{{mesh.Backend.Port}};
                }
                server {
                    listen 127.0.0.1:{{nginxPort}};
                    proxy_pass echo;
                    proxy_half_close on;
                }
            }
            """), cancellationToken, "ngx_stream_module.so").ConfigureAwait(false);
        try
        {
            var targets = new List<(string Name, int Port, Func<double> ProxyCpu)>
            {
                (Direct, mesh.Backend.Port, () => 0),
                (Mesh, mesh.MeshPort, () => ChildProcesses.ProcessCpuSeconds(Environment.ProcessId)),
                (Nginx, nginxPort, () => ChildProcesses.GroupCpuSeconds(nginx.Pid)),
            };
            foreach (var target in targets)
            {
                var warm = await PingPongAsync(context, tool, target, Math.Min(seconds, 3), cancellationToken).ConfigureAwait(false);
                Console.WriteLine($"  warm-up {target.Name,-6}: {warm.Rate,9:0} round trips/s");
            }

            var pingPong = new List<TcpRun>();
            var bulk = new List<TcpRun>();
            for (var round = 0; round < rounds; round++)
            {
                for (var k = 0; k < targets.Count; k++)
                {
                    var target = targets[(round + k) % targets.Count];
                    var run = await PingPongAsync(context, tool, target, seconds, cancellationToken).ConfigureAwait(false);
                    pingPong.Add(run);
                    Console.WriteLine($"  round {round + 1}/{rounds} {run.Target,-6}: {run.Rate,9:0} round trips/s  p50 {run.P50Us:0} µs  p99 {run.P99Us:0} µs  proxy {run.ProxyCpuUsPerUnit:0.0} µs/round trip" +
                                      (run.Errors > 0 ? $"  ERRORS {run.Errors}" : ""));
                    var stream = await BulkAsync(context, tool, target, cancellationToken).ConfigureAwait(false);
                    bulk.Add(stream);
                    Console.WriteLine($"  round {round + 1}/{rounds} {run.Target,-6}: bulk 1 GiB {stream.Rate:0} MiB/s  proxy {stream.ProxyCpuUsPerUnit:0} µs/MiB");
                }
            }

            return Report(pingPong, bulk, rounds, seconds);
        }
        finally
        {
            context.Children.Stop(nginx, ChildProcesses.SigTerm, TimeSpan.FromSeconds(5));
        }
    }

    private static string Report(List<TcpRun> pingPong, List<TcpRun> bulk, int rounds, int seconds)
    {
        static double Median(List<TcpRun> runs, string target, Func<TcpRun, double> value) => Stats.Median(runs.Where(r => r.Target == target).Select(value).ToList());
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"## (f) TCP through a `protocol: tcp` port ({rounds} interleaved rounds per target, medians; {NginxProcess.Version()} `stream`)");
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"| target | {Connections} connections × {MessageBytes} B round trips, {seconds} s: round trips/s | p50 | p99 | proxy CPU / round trip | bulk 1 GiB echoed: MiB/s | proxy CPU / MiB |");
        report.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var target in new[] { Direct, Mesh, Nginx })
        {
            var proxy = target != Direct;
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| {target} | {Median(pingPong, target, r => r.Rate):0} | {Median(pingPong, target, r => r.P50Us):0} µs | {Median(pingPong, target, r => r.P99Us):0} µs | " +
                $"{(proxy ? $"{Median(pingPong, target, r => r.ProxyCpuUsPerUnit):0.0} µs" : "-")} | {Median(bulk, target, r => r.Rate):0} | {(proxy ? $"{Median(bulk, target, r => r.ProxyCpuUsPerUnit):0} µs" : "-")} |");
        }

        var roundTrips = Median(pingPong, Mesh, r => r.Rate) / Median(pingPong, Nginx, r => r.Rate);
        var stream = Median(bulk, Mesh, r => r.Rate) / Median(bulk, Nginx, r => r.Rate);
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"Mesh ÷ nginx `stream`: round trips **{roundTrips:0.00}×**, bulk **{stream:0.00}×** (target ≥ 1.0× each: {(roundTrips >= 1 && stream >= 1 ? "met" : "not met")}); " +
                                                        $"mesh ÷ direct: round trips {Median(pingPong, Mesh, r => r.Rate) / Median(pingPong, Direct, r => r.Rate):0.00}×, bulk {Median(bulk, Mesh, r => r.Rate) / Median(bulk, Direct, r => r.Rate):0.00}×.");
        return report.ToString();
    }

    private static async Task<TcpRun> PingPongAsync(BenchContext context, string tool, (string Name, int Port, Func<double> ProxyCpu) target, int seconds, CancellationToken cancellationToken)
    {
        var before = target.ProxyCpu();
        var text = await context.Children.RunToEndAsync(tool,
            ["pingpong", Invariant(target.Port), Invariant(Connections), Invariant(seconds), Invariant(MessageBytes)],
            TimeSpan.FromSeconds(seconds + 30), cancellationToken).ConfigureAwait(false);
        var cpu = target.ProxyCpu() - before;
        var match = PingPongPattern().Match(text);
        if (!match.Success)
        {
            throw new BenchException($"could not read tcpbench's output:\n{text}");
        }

        var roundTrips = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return new TcpRun(target.Name, Number(match.Groups[2]), Number(match.Groups[3]), Number(match.Groups[4]), long.Parse(match.Groups[5].Value, CultureInfo.InvariantCulture),
            roundTrips == 0 ? double.NaN : cpu * 1e6 / roundTrips);
    }

    private static async Task<TcpRun> BulkAsync(BenchContext context, string tool, (string Name, int Port, Func<double> ProxyCpu) target, CancellationToken cancellationToken)
    {
        var before = target.ProxyCpu();
        var text = await context.Children.RunToEndAsync(tool, ["bulk", Invariant(target.Port), Invariant(BulkBytes)], TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
        var cpu = target.ProxyCpu() - before;
        var match = BulkPattern().Match(text);
        if (!match.Success || long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) != BulkBytes)
        {
            throw new BenchException($"the bulk stream through {target.Name} did not come back whole:\n{text}");
        }

        return new TcpRun(target.Name, Number(match.Groups[2]), double.NaN, double.NaN, 0, cpu * 1e6 / (BulkBytes / (1024.0 * 1024.0)));
    }

    private static async Task<string> CompileAsync(BenchContext context, string repositoryRoot, CancellationToken cancellationToken)
    {
        var source = Path.Combine(repositoryRoot, "devtools", "bench", "tcp", "tcpbench.cpp");
        var output = Path.Combine(context.TempDirectory, "tcpbench");
        var compiler = WarmPathBench.FindOnPath("g++") ?? throw new BenchException("g++ is not installed (apt-get install -y g++)");
        using var process = Process.Start(new ProcessStartInfo(compiler, ["-O2", "-pthread", "-o", output, source]) { RedirectStandardError = true })
            ?? throw new BenchException("g++ could not be started");
        var errors = await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return process.ExitCode == 0 ? output : throw new BenchException($"g++ could not compile {source}:\n{errors}");
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static double Number(Group group) => double.Parse(group.Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"round_trips (\d+) rate ([\d.]+) p50_us ([\d.]+) p99_us ([\d.]+) errors (\d+)")]
    private static partial Regex PingPongPattern();

    [GeneratedRegex(@"bytes (\d+) seconds [\d.]+ mib_per_s ([\d.]+)")]
    private static partial Regex BulkPattern();
}
