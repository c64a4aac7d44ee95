using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MeshDev.Activation;
using MeshDev.Catalog;
using MeshDev.Daemon.Hosting;
using MeshDev.Runtime;

namespace MeshDev.Bench;

/// <summary>
/// (d) A cold call down a 4-deep chain of python services (a → b → c → d, each calling the next with urllib), against
/// the physical limit measured in the same run: the same four spawned directly, all at once, until all answer. Through
/// the mesh twice, A/B alternating: with <c>mesh.prewarm: off</c> (each launched when the call reaches it) and with the
/// default pre-launch after the mesh has seen the chain once (the whole chain launches on the first call). Every
/// service is stopped before each round. Issue 17's target: the pre-launched chain ≤ 1.3× the physical limit.
/// </summary>
internal static class PrewarmBench
{
    private static readonly string[] Chain = ["a", "b", "c", "d"];

    private const string Script = """
        import http.server, os, sys, urllib.request
        name, next_url = sys.argv[2], os.environ.get("NEXT_URL", "")
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_GET(self):
                body = b"ok" if self.path == "/healthz" else (name + (">" + urllib.request.urlopen(next_url).read().decode() if next_url else "")).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
        """;

    public static async Task<string> RunAsync(BenchContext context, int rounds, CancellationToken cancellationToken)
    {
        var python = await RealPythonAsync(cancellationToken).ConfigureAwait(false);
        var script = Path.Combine(context.TempDirectory, "chain.py");
        await File.WriteAllTextAsync(script, Script, cancellationToken).ConfigureAwait(false);
        await using var off = await StartMeshAsync(context, python, script, "off", cancellationToken).ConfigureAwait(false);
        await using var prewarmed = await StartMeshAsync(context, python, script, "observed", cancellationToken).ConfigureAwait(false);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromMinutes(2) };

        // The pre-launching mesh sees the chain once, as a developer's earlier run would have (kept in .meshdev/calls.json).
        await ColdCallAsync(prewarmed, http, cancellationToken).ConfigureAwait(false);
        await ColdCallAsync(off, http, cancellationToken).ConfigureAwait(false);

        var direct = new List<double>();
        var sums = new List<double>();
        var withoutPrewarm = new List<double>();
        var withPrewarm = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            direct.Add(await AllAtOnceAsync(context, python, script, http, cancellationToken).ConfigureAwait(false));
            sums.Add(await OneByOneAsync(context, python, script, http, cancellationToken).ConfigureAwait(false));
            withoutPrewarm.Add(await ColdCallAsync(off, http, cancellationToken).ConfigureAwait(false));
            withPrewarm.Add(await ColdCallAsync(prewarmed, http, cancellationToken).ConfigureAwait(false));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  round {round + 1}/{rounds}: all at once {direct[^1]:0} ms, sum of starts {sums[^1]:0} ms, mesh prewarm off {withoutPrewarm[^1]:0} ms, prewarmed {withPrewarm[^1]:0} ms"));
        }

        var limit = Stats.Median(direct);
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"## (d) Cold call down a 4-deep chain of python services ({rounds} rounds, A/B alternating, medians)");
        report.AppendLine();
        report.AppendLine("| | median | ÷ physical limit | ÷ sum of starts |");
        report.AppendLine("| --- | ---: | ---: | ---: |");
        Row("the four spawned directly at once, until all answer (physical limit)", direct);
        Row("each spawned alone, one after another (sum of starts)", sums);
        Row("through the mesh, `prewarm: off` (each launched when the call reaches it)", withoutPrewarm);
        Row("through the mesh, pre-launched (the chain seen before)", withPrewarm);
        report.AppendLine();
        var ratio = Stats.Median(withPrewarm) / limit;
        report.AppendLine(CultureInfo.InvariantCulture, $"Target (issue 17): pre-launched ≤ 1.3× the physical limit → **{ratio:0.00}×, {(ratio <= 1.3 ? "met" : "not met")}**.");
        return report.ToString();

        void Row(string what, List<double> values) =>
            report.AppendLine(CultureInfo.InvariantCulture, $"| {what} | {Stats.Ms(Stats.Median(values))} | {Stats.Median(values) / limit:0.00}× | {Stats.Median(values) / Stats.Median(sums):0.00}× |");
    }

    /// <summary>A cold call to a's mesh port, every service stopped first: until the whole chain's answer is in (ms).</summary>
    private static async Task<double> ColdCallAsync(ChainMesh mesh, HttpClient http, CancellationToken cancellationToken)
    {
        await Task.WhenAll(mesh.Host.Activator.Services.Select(s => s.StopAsync("bench round"))).ConfigureAwait(false);
        var started = Stopwatch.GetTimestamp();
        var body = await http.GetStringAsync(new Uri($"http://127.0.0.1:{mesh.Host.Manifest.Find("a")!.MeshPort}/"), cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return body == "a>b>c>d" ? elapsed : throw new BenchException($"the chain answered '{body}'");
    }

    /// <summary>The physical limit: the four spawned at once, each pointing at the next directly, until all answer (ms).</summary>
    private static async Task<double> AllAtOnceAsync(BenchContext context, string python, string script, HttpClient http, CancellationToken cancellationToken)
    {
        var ports = Chain.Select(_ => Ports.GetFreePort()).ToArray();
        var started = Stopwatch.GetTimestamp();
        var children = Chain.Select((name, i) => context.Children.Start(python, [script, ports[i].ToString(CultureInfo.InvariantCulture), name],
            i + 1 < ports.Length ? new Dictionary<string, string> { ["NEXT_URL"] = $"http://127.0.0.1:{ports[i + 1]}/" } : null)).ToList();
        try
        {
            await Task.WhenAll(ports.Select(p => ShopPrewarmBench.AnswersAsync(http, p, "/healthz", http2: false, cancellationToken, seconds: 30))).ConfigureAwait(false);
            return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
        finally
        {
            children.ForEach(context.Children.Kill);
        }
    }

    /// <summary>Each of the four spawned alone until it answers, one after another: the sum of their starts (ms).</summary>
    private static async Task<double> OneByOneAsync(BenchContext context, string python, string script, HttpClient http, CancellationToken cancellationToken)
    {
        var total = 0.0;
        foreach (var name in Chain)
        {
            var port = Ports.GetFreePort();
            var started = Stopwatch.GetTimestamp();
            var child = context.Children.Start(python, [script, port.ToString(CultureInfo.InvariantCulture), name]);
            try
            {
                await ShopPrewarmBench.AnswersAsync(http, port, "/healthz", http2: false, cancellationToken, seconds: 30).ConfigureAwait(false);
                total += Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
            finally
            {
                context.Children.Kill(child);
            }
        }

        return total;
    }

    private static async Task<ChainMesh> StartMeshAsync(BenchContext context, string python, string script, string prewarm, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateDirectory(Path.Combine(context.TempDirectory, $"chain-{prewarm}")).FullName;
        var meshPorts = Chain.ToDictionary(n => n, _ => Ports.GetFreePort());
        var yaml = new StringBuilder($"mesh: {{ http: {Ports.GetFreePort()}, xds: {Ports.GetFreePort()}, prewarm: {prewarm} }}\nservices:\n");
        for (var i = 0; i < Chain.Length; i++)
        {
            var name = Chain[i];
            yaml.Append(CultureInfo.InvariantCulture, $"  {name}:\n    command: {python}\n    args: [\"{script}\", \"${{PORT}}\", {name}]\n    meshPort: {meshPorts[name]}\n    ready: {{ http: /healthz }}\n");
            if (i + 1 < Chain.Length)
            {
                yaml.Append(CultureInfo.InvariantCulture, $"    env: {{ NEXT_URL: \"http://127.0.0.1:{meshPorts[Chain[i + 1]]}/\" }}\n");
            }
        }

        var path = Path.Combine(directory, "meshdev.yaml");
        await File.WriteAllTextAsync(path, yaml.ToString(), cancellationToken).ConfigureAwait(false);
        return new ChainMesh(await MeshHost.StartAsync(ManifestLoader.Load(path), new MeshHostOptions { Prebuild = false }, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<string> RealPythonAsync(CancellationToken cancellationToken)
    {
        // python3 on PATH may be a shim (pyenv: a bash script, ~85 ms per start); the interpreter itself is what services run.
        using var process = Process.Start(new ProcessStartInfo("python3", ["-c", "import sys; print(sys.executable)"]) { RedirectStandardOutput = true })
            ?? throw new BenchException("python3 could not be started");
        var path = (await process.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false)).Trim();
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return File.Exists(path) ? path : throw new BenchException("python3 did not say where its interpreter is");
    }

    private sealed class ChainMesh(MeshHost host) : IAsyncDisposable
    {
        public MeshHost Host { get; } = host;

        public ValueTask DisposeAsync() => Host.DisposeAsync();
    }
}
