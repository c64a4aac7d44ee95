using MeshDev.Runtime;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;

namespace MeshDev.Bench;

/// <summary>One h2load run against one target: calls per second, the mean call time, the proxy's CPU per call.</summary>
internal sealed record H2LoadRun(string Target, double CallsPerSecond, long Succeeded, long Failed, double MeanMs, double ProxyCpuUsPerCall);

/// <summary>
/// (e) gRPC unary: h2load (<c>-c4 -m8</c>: 32 streams on 4 connections) calling <c>meshdev.test.v1.Echo/Say</c> of the
/// gRPC test service the mesh launched, three ways in interleaved rounds (the order rotates): directly, through the
/// mesh port, and through nginx <c>grpc_pass</c> (workers = cores, keep-alive upstream). Issue 17's targets: the mesh
/// ≥ 1.0× nginx and ≥ 0.5× direct.
/// </summary>
internal static partial class GrpcUnaryBench
{
    private const string Direct = "direct";
    private const string Mesh = "mesh";
    private const string Nginx = "nginx";
    private const string Method = "/meshdev.test.v1.Echo/Say";

    // One gRPC message (no compression flag, 4-byte big-endian length) holding EchoRequest { text: "hi" }.
    private static readonly byte[] SayHi = [0, 0, 0, 0, 4, 0x0A, 2, (byte)'h', (byte)'i'];

    public static async Task<string> RunAsync(BenchContext context, string grpcServiceDll, int rounds, int seconds, CancellationToken cancellationToken)
    {
        var h2load = WarmPathBench.FindOnPath("h2load") ?? throw new BenchException("h2load is not installed (devtools/bench/run.sh installs it: apt-get install -y nghttp2-client)");
        if (!File.Exists(grpcServiceDll))
        {
            throw new BenchException($"{grpcServiceDll} does not exist; build devtools/bench/MeshDev.Bench (it builds the gRPC test service too)");
        }

        await using var mesh = await SingleServiceMesh.StartAsync(context, "echo",
        [
            $"command: {Quote(context.Dotnet)}",
            $"args: [{Quote(grpcServiceDll)}]",
            "ready: { grpc: true }",
            "routes: { grpc: [meshdev.test.v1.Echo] }",
            $"env: {{{string.Join(", ", context.ServiceEnvironment.Select(e => $"{e.Key}: {Quote(e.Value)}"))}}}",
        ], cancellationToken).ConfigureAwait(false);

        var nginxPort = Ports.GetFreePort();
        var nginx = await NginxProcess.StartAsync(context, "nginx-grpc", nginxPort, prefix => NginxProcess.Http(prefix, string.Create(CultureInfo.InvariantCulture, $$"""
                upstream echo {
                    server 127.0.0.1:{{mesh.Backend.Port}};
                    keepalive 64;
                    keepalive_requests 100000000;
                }
                server {
                    listen 127.0.0.1:{{nginxPort}} http2;
                    location / {
                        grpc_pass grpc://echo;
                    }
                }
            """)), cancellationToken).ConfigureAwait(false);
        try
        {
            var body = Path.Combine(context.TempDirectory, "say-hi.grpc");
            await File.WriteAllBytesAsync(body, SayHi, cancellationToken).ConfigureAwait(false);
            var targets = new List<(string Name, int Port, Func<double> ProxyCpu)>
            {
                (Direct, mesh.Backend.Port, () => 0),
                (Mesh, mesh.MeshPort, () => ChildProcesses.ProcessCpuSeconds(Environment.ProcessId)),
                (Nginx, nginxPort, () => ChildProcesses.GroupCpuSeconds(nginx.Pid)),
            };

            // h2load counts HTTP 200 as success, and a failed gRPC call is a 200 too: each target must really answer.
            foreach (var target in targets)
            {
                await CheckAnswersAsync(target.Port, cancellationToken).ConfigureAwait(false);
                var warm = await RunH2LoadAsync(context, h2load, body, target, Math.Min(seconds, 3), cancellationToken).ConfigureAwait(false);
                Console.WriteLine($"  warm-up {target.Name,-6}: {warm.CallsPerSecond,9:0} calls/s");
            }

            var runs = new List<H2LoadRun>();
            for (var round = 0; round < rounds; round++)
            {
                for (var k = 0; k < targets.Count; k++)
                {
                    var run = await RunH2LoadAsync(context, h2load, body, targets[(round + k) % targets.Count], seconds, cancellationToken).ConfigureAwait(false);
                    runs.Add(run);
                    Console.WriteLine($"  round {round + 1}/{rounds} {run.Target,-6}: {run.CallsPerSecond,9:0} calls/s  mean {Stats.Ms(run.MeanMs)}  proxy {run.ProxyCpuUsPerCall:0.0} µs/call" +
                                      (run.Failed > 0 ? $"  FAILED {run.Failed}" : ""));
                }
            }

            return Report(runs, rounds, seconds);
        }
        finally
        {
            context.Children.Stop(nginx, ChildProcesses.SigTerm, TimeSpan.FromSeconds(5));
        }
    }

    private static string Report(List<H2LoadRun> runs, int rounds, int seconds)
    {
        double Median(string target, Func<H2LoadRun, double> value) => Stats.Median(runs.Where(r => r.Target == target).Select(value).ToList());
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"## (e) gRPC unary: h2load -c4 -m8 -D {seconds} on {Method} ({rounds} interleaved rounds per target, medians; {NginxProcess.Version()})");
        report.AppendLine();
        report.AppendLine("| target | calls/s | mean call time | proxy CPU / call | failed calls |");
        report.AppendLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (var target in new[] { Direct, Mesh, Nginx })
        {
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| {target} | {Median(target, r => r.CallsPerSecond):0} | {Stats.Ms(Median(target, r => r.MeanMs))} | {(target == Direct ? "-" : $"{Median(target, r => r.ProxyCpuUsPerCall):0.0} µs")} | {runs.Where(r => r.Target == target).Sum(r => r.Failed)} |");
        }

        var toNginx = Median(Mesh, r => r.CallsPerSecond) / Median(Nginx, r => r.CallsPerSecond);
        var toDirect = Median(Mesh, r => r.CallsPerSecond) / Median(Direct, r => r.CallsPerSecond);
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"Mesh ÷ nginx `grpc_pass`: **{toNginx:0.00}×** (target ≥ 1.0×, {(toNginx >= 1.0 ? "met" : "not met")}); " +
                                                        $"mesh ÷ direct: **{toDirect:0.00}×** (target ≥ 0.5×, {(toDirect >= 0.5 ? "met" : "not met")}).");
        return report.ToString();
    }

    /// <summary>One Say call over h2c: it must end with grpc-status 0 and carry the echoed text.</summary>
    private static async Task CheckAnswersAsync(int port, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"http://127.0.0.1:{port}{Method}"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(SayHi),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var reply = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var status = response.TrailingHeaders.TryGetValues("grpc-status", out var trailer) ? trailer.First()
            : response.Headers.TryGetValues("grpc-status", out var header) ? header.First() : "(none)";
        if (response.StatusCode != HttpStatusCode.OK || status != "0" || !Encoding.ASCII.GetString(reply).Contains("hi", StringComparison.Ordinal))
        {
            throw new BenchException($"127.0.0.1:{port}{Method} answered HTTP {(int)response.StatusCode}, grpc-status {status}");
        }
    }

    private static async Task<H2LoadRun> RunH2LoadAsync(BenchContext context, string h2load, string body, (string Name, int Port, Func<double> ProxyCpu) target, int seconds, CancellationToken cancellationToken)
    {
        var proxyBefore = target.ProxyCpu();
        var text = await context.Children.RunToEndAsync(h2load,
            ["-D", seconds.ToString(CultureInfo.InvariantCulture), "-c4", "-m8", "-d", body, "-H", "content-type: application/grpc", "-H", "te: trailers",
             $"http://127.0.0.1:{target.Port}{Method}"],
            TimeSpan.FromSeconds(seconds + 30), cancellationToken).ConfigureAwait(false);
        var proxyCpu = target.ProxyCpu() - proxyBefore;
        var rate = RatePattern().Match(text);
        var requests = RequestsPattern().Match(text);
        var time = TimePattern().Match(text);
        if (!rate.Success || !requests.Success || !time.Success)
        {
            throw new BenchException($"could not read h2load's output:\n{text}");
        }

        var succeeded = long.Parse(requests.Groups[1].Value, CultureInfo.InvariantCulture);
        var failed = long.Parse(requests.Groups[2].Value, CultureInfo.InvariantCulture) + long.Parse(requests.Groups[3].Value, CultureInfo.InvariantCulture);
        var mean = double.Parse(time.Groups[1].Value, CultureInfo.InvariantCulture) * (time.Groups[2].Value switch { "us" => 0.001, "ms" => 1, _ => 1000 });
        return new H2LoadRun(target.Name, double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture), succeeded, failed, mean,
            succeeded == 0 ? double.NaN : proxyCpu * 1e6 / succeeded);
    }

    private static string Quote(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    [GeneratedRegex(@"finished in [\d.]+m?s, ([\d.]+) req/s")]
    private static partial Regex RatePattern();

    [GeneratedRegex(@"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored")]
    private static partial Regex RequestsPattern();

    // "time for request:" min, max, mean, sd, +/- sd: the mean is the third figure.
    [GeneratedRegex(@"time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)\s")]
    private static partial Regex TimePattern();
}
