using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using MeshDev.Catalog;
using MeshDev.Daemon.Hosting;
using MeshDev.Daemon.State;
using MeshDev.Runtime;

namespace MeshDev.Bench;

/// <summary>
/// (d2) The sample shop's first call (frontend → orders → inventory, frontend → pricing → inventory: four .NET
/// services) after a previous run, against its four services started at once, in the same run: the built apps
/// spawned directly, all four at once, each pointed at the others' own ports, until all four answer and frontend's
/// <c>GET /</c> has answered once. Through the mesh twice, A/B alternating: pre-launched (the default, the graph known from
/// the warm-up call) and with <c>mesh.prewarm: off</c>. Issue 17's target: pre-launched ≤ 1.3× the four at once.
/// </summary>
internal static partial class ShopPrewarmBench
{
    private static readonly string[] Services = ["frontend", "orders", "inventory", "pricing"];

    public static async Task<string> RunAsync(BenchContext context, string repositoryRoot, int rounds, CancellationToken cancellationToken)
    {
        var sample = Path.Combine(repositoryRoot, "samples", "shop");
        await using var prewarmed = await StartMeshAsync(context, sample, "observed", cancellationToken).ConfigureAwait(false);
        await using var off = await StartMeshAsync(context, sample, "off", cancellationToken).ConfigureAwait(false);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromMinutes(5) };

        // The first calls build the projects (once per mesh) and let the pre-launching mesh see the graph, as a
        // developer's earlier run would have (kept in .meshdev/calls.json).
        Console.WriteLine("  warm-up: building the four projects in both meshes, one call each");
        await ColdCallAsync(prewarmed, http, cancellationToken).ConfigureAwait(false);
        await ColdCallAsync(off, http, cancellationToken).ConfigureAwait(false);
        var apps = Services.ToDictionary(s => s, s => AppOf(prewarmed, s));

        var atOnce = new List<double>();
        var sums = new List<double>();
        var withoutPrewarm = new List<double>();
        var withPrewarm = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            atOnce.Add(await AllAtOnceAsync(context, apps, http, cancellationToken).ConfigureAwait(false));
            sums.Add(await OneByOneAsync(context, apps, http, cancellationToken).ConfigureAwait(false));
            withPrewarm.Add(await ColdCallAsync(prewarmed, http, cancellationToken).ConfigureAwait(false));
            withoutPrewarm.Add(await ColdCallAsync(off, http, cancellationToken).ConfigureAwait(false));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  round {round + 1}/{rounds}: four at once {atOnce[^1]:0} ms, sum of starts {sums[^1]:0} ms, mesh pre-launched {withPrewarm[^1]:0} ms, prewarm off {withoutPrewarm[^1]:0} ms"));
        }

        var limit = Stats.Median(atOnce);
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"## (d2) The sample shop's first call after a previous run ({rounds} rounds, medians)");
        report.AppendLine();
        report.AppendLine("| | median | ÷ four at once | ÷ sum of starts |");
        report.AppendLine("| --- | ---: | ---: | ---: |");
        Row("the four built apps spawned directly at once, until all four answer, then frontend's first `GET /`", atOnce);
        Row("each spawned alone until it answers, one after another (sum of starts)", sums);
        Row("through the mesh, pre-launched (the graph seen before)", withPrewarm);
        Row("through the mesh, `prewarm: off`", withoutPrewarm);
        report.AppendLine();
        var ratio = Stats.Median(withPrewarm) / limit;
        report.AppendLine(CultureInfo.InvariantCulture, $"Target (issue 17): pre-launched ≤ 1.3× the four started at once → **{ratio:0.00}×, {(ratio <= 1.3 ? "met" : "not met")}**.");
        return report.ToString();

        void Row(string what, List<double> values) =>
            report.AppendLine(CultureInfo.InvariantCulture, $"| {what} | {Stats.Ms(Stats.Median(values))} | {Stats.Median(values) / limit:0.00}× | {Stats.Median(values) / Stats.Median(sums):0.00}× |");
    }

    /// <summary>Every service stopped, then frontend's <c>GET /</c> on its mesh port, until the answer is in (ms).</summary>
    private static async Task<double> ColdCallAsync(MeshHost mesh, HttpClient http, CancellationToken cancellationToken)
    {
        await Task.WhenAll(mesh.Activator.Services.Select(s => s.StopAsync("bench round"))).ConfigureAwait(false);
        var started = Stopwatch.GetTimestamp();
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{mesh.Manifest.Find("frontend")!.MeshPort}/"), cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return response.StatusCode == HttpStatusCode.OK
            ? elapsed
            : throw new BenchException($"frontend answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
    }

    /// <summary>
    /// The four at once, each told the others' own ports, until all four answer, then frontend's <c>GET /</c> (the
    /// same first call through the tree as through the mesh, its first-request costs included) (ms). Not
    /// frontend's <c>GET /</c> alone from the start: its first calls would meet dependencies not listening yet, and
    /// its gRPC channel then backs off for a second.
    /// </summary>
    private static async Task<double> AllAtOnceAsync(BenchContext context, Dictionary<string, string> apps, HttpClient http, CancellationToken cancellationToken)
    {
        var ports = Services.ToDictionary(s => s, _ => Ports.GetFreePort());
        var started = Stopwatch.GetTimestamp();
        var children = Services.Select(s => Spawn(context, apps[s], ports[s], ports)).ToList();
        try
        {
            await Task.WhenAll(Services.Select(s => AnswersAsync(http, ports[s], "/healthz", http2: s == "pricing", cancellationToken))).ConfigureAwait(false);
            using var first = await http.GetAsync(new Uri($"http://127.0.0.1:{ports["frontend"]}/"), cancellationToken).ConfigureAwait(false);
            if (first.StatusCode != HttpStatusCode.OK)
            {
                throw new BenchException($"frontend (spawned directly) answered its first GET / with {(int)first.StatusCode}: {await first.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
            }

            return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
        finally
        {
            children.ForEach(context.Children.Kill);
        }
    }

    /// <summary>Each alone until it answers (an HTTP/2-only service: any answer over h2c), one after another (ms).</summary>
    private static async Task<double> OneByOneAsync(BenchContext context, Dictionary<string, string> apps, HttpClient http, CancellationToken cancellationToken)
    {
        var total = 0.0;
        foreach (var service in Services)
        {
            var port = Ports.GetFreePort();
            var started = Stopwatch.GetTimestamp();
            var child = Spawn(context, apps[service], port, new Dictionary<string, int>());
            try
            {
                await AnswersAsync(http, port, "/healthz", http2: service == "pricing", cancellationToken).ConfigureAwait(false);
                total += Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
            finally
            {
                context.Children.Kill(child);
            }
        }

        return total;
    }

    private static Child Spawn(BenchContext context, string app, int port, IReadOnlyDictionary<string, int> others)
    {
        var environment = new Dictionary<string, string>(context.ServiceEnvironment)
        {
            ["PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
        };
        foreach (var (name, otherPort) in others)
        {
            environment[$"services__{name}__http__0"] = $"http://127.0.0.1:{otherPort}";
        }

        return context.Children.Start(context.Dotnet, [app], environment, workingDirectory: Path.GetDirectoryName(app));
    }

    /// <summary>
    /// Polls 127.0.0.1:<paramref name="port"/><paramref name="path"/> every 2 ms until it answers 200 (over h2c: any
    /// answer); connection errors stop being retried after <paramref name="seconds"/>.
    /// </summary>
    internal static async Task AnswersAsync(HttpClient http, int port, string path, bool http2, CancellationToken cancellationToken, int seconds = 60)
    {
        var deadline = Stopwatch.GetTimestamp() + (seconds * Stopwatch.Frequency);
        while (true)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{port}{path}"));
                if (http2)
                {
                    request.Version = HttpVersion.Version20;
                    request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
                }

                using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if (http2 || response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (Stopwatch.GetTimestamp() < deadline)
            {
            }

            await Task.Delay(2, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The app the mesh built for <paramref name="service"/> (its build output, the project's own dll).</summary>
    private static string AppOf(MeshHost mesh, string service)
    {
        var project = mesh.Manifest.Find(service)!.Project!;
        // The mesh builds each project into a folder of its own per build, under its state directory's build/{service}.
        var builds = Path.Combine(mesh.State.Root, "build", service);
        var name = Path.GetFileNameWithoutExtension(project) + ".dll";
        return (Directory.Exists(builds) ? Directory.EnumerateFiles(builds, name, SearchOption.AllDirectories) : [])
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .FirstOrDefault() ?? throw new BenchException($"no {name} under {builds} after the warm-up call built {service}");
    }

    /// <summary>The sample's manifest with its own paths made absolute and free ports, in a directory of the run.</summary>
    private static async Task<MeshHost> StartMeshAsync(BenchContext context, string sample, string prewarm, CancellationToken cancellationToken)
    {
        var text = await File.ReadAllTextAsync(Path.Combine(sample, "meshdev.yaml"), cancellationToken).ConfigureAwait(false);
        text = PortPattern().Replace(text, m => $"{m.Groups[1].Value}{Ports.GetFreePort()}");
        text = ProjectPattern().Replace(text, m => $"project: {Path.Combine(sample, m.Groups[1].Value)}");
        text = text.Replace("mesh:\n", $"mesh:\n  prewarm: {prewarm}\n  xds: {Ports.GetFreePort()}\n", StringComparison.Ordinal);
        var directory = Directory.CreateDirectory(Path.Combine(context.TempDirectory, $"shop-{prewarm}")).FullName;
        var path = Path.Combine(directory, "meshdev.yaml");
        await File.WriteAllTextAsync(path, text, cancellationToken).ConfigureAwait(false);
        return await MeshHost.StartAsync(ManifestLoader.Load(path), new MeshHostOptions { Prebuild = false }, cancellationToken).ConfigureAwait(false);
    }

    [GeneratedRegex(@"^(\s*(?:http|meshPort):\s*)\d+", RegexOptions.Multiline)]
    private static partial Regex PortPattern();

    [GeneratedRegex(@"project:\s*(\S+\.csproj)")]
    private static partial Regex ProjectPattern();
}
