using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using MeshDev.Testing.Otlp;

namespace MeshDev.Bench;

/// <summary>
/// Part (g): what OpenTelemetry export costs the warm path. Two meshes in this process, each with its own test service
/// instance: one without OTEL settings, one exporting every span and metric over OTLP/gRPC to a real receiver on this
/// machine (the tests' receiver from the OTLP protos, counting spans only, in a child process so that its work is not
/// counted as the mesh's), with Aspire's development intervals (spans batched for 1 s, metrics every 1 s). wrk loads
/// each mesh port in interleaved rounds, the order alternating. The target is at least 0.9× the req/s without export.
/// </summary>
internal static class OtelBench
{
    public const string Off = "mesh";
    public const string On = "mesh+otlp";

    /// <summary>The bench's own command line that runs the receiver alone (the child process of this part).</summary>
    public const string ReceiverOption = "--otlp-receiver";

    public static async Task<string> RunAsync(BenchContext context, WarmPathSettings settings, CancellationToken cancellationToken)
    {
        var wrk = WarmPathBench.FindOnPath("wrk") ?? throw new BenchException("wrk is not installed (devtools/bench/run.sh installs it: apt-get install -y wrk)");
        var receiver = await StartReceiverAsync(context, cancellationToken).ConfigureAwait(false);
        try
        {
            return await RunAsync(context, settings, wrk, receiver.Endpoint, receiver.Spans, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            context.Children.Stop(receiver.Child, ChildProcesses.SigTerm, TimeSpan.FromSeconds(5));
        }
    }

    private static async Task<string> RunAsync(BenchContext context, WarmPathSettings settings, string wrk, string endpoint, Func<long> spansReceived, CancellationToken cancellationToken)
    {
        string[] service =
        [
            $"command: {Quote(context.Dotnet)}",
            $"args: [{Quote(context.TestServiceDll)}]",
            "ready: { http: /healthz }",
            $"env: {{{string.Join(", ", context.ServiceEnvironment.Select(e => $"{e.Key}: {Quote(e.Value)}"))}}}",
        ];
        await using var off = await SingleServiceMesh.StartAsync(context, "bench-off", service, cancellationToken, otel: new Dictionary<string, string>()).ConfigureAwait(false);
        await using var on = await SingleServiceMesh.StartAsync(context, "bench-otlp", service, cancellationToken,
            otel: new Dictionary<string, string>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
                ["OTEL_BSP_SCHEDULE_DELAY"] = "1000",
                ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
            }).ConfigureAwait(false);
        Console.WriteLine($"  OTLP/gRPC receiver at {endpoint}");

        var targets = new (string Name, int Port, Func<double> ProxyCpu, int BackendPid)[]
        {
            (Off, off.MeshPort, () => ChildProcesses.ProcessCpuSeconds(Environment.ProcessId), off.Service.ProcessId ?? throw new BenchException("no pid for bench-off")),
            (On, on.MeshPort, () => ChildProcesses.ProcessCpuSeconds(Environment.ProcessId), on.Service.ProcessId ?? throw new BenchException("no pid for bench-otlp")),
        };
        foreach (var target in targets)
        {
            var warm = await WarmPathBench.RunWrkAsync(context, wrk, settings with { Duration = settings.Warmup }, (target.Name, target.Port, target.ProxyCpu), target.BackendPid, cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"  warm-up {target.Name,-9}: {warm.RequestsPerSecond,9:0} req/s");
        }

        var spansBefore = spansReceived();
        var runs = new List<WrkRun>();
        for (var round = 0; round < settings.Rounds; round++)
        {
            for (var k = 0; k < targets.Length; k++)
            {
                var target = targets[(round + k) % targets.Length];
                var run = await WarmPathBench.RunWrkAsync(context, wrk, settings, (target.Name, target.Port, target.ProxyCpu), target.BackendPid, cancellationToken).ConfigureAwait(false);
                runs.Add(run);
                Console.WriteLine($"  round {round + 1}/{settings.Rounds} {run.Target,-9}: {run.RequestsPerSecond,9:0} req/s  p50 {Stats.Ms(run.P50Ms)}  p99 {Stats.Ms(run.P99Ms)}" +
                                  $"  proxy {run.ProxyCpuUsPerRequest:0.0} µs/req  {run.Gc.BytesPerRequest:0} B/req" + (run.Errors > 0 ? $"  ERRORS {run.Errors}" : ""));
            }
        }

        // The last batch is sent within the batch delay; a second is enough on an idle machine.
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
        var exported = spansReceived() - spansBefore;
        var onRequests = runs.Where(r => r.Target == On).Sum(r => r.Requests);
        return Build(runs, settings, exported, onRequests);
    }

    /// <summary>Runs the receiver in a child process; it reports its endpoint, then its span count as it grows.</summary>
    private static async Task<(Child Child, string Endpoint, Func<long> Spans)> StartReceiverAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var endpoint = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var spans = new StrongBox<long>();
        var child = context.Children.Start(context.Dotnet, [typeof(OtelBench).Assembly.Location, ReceiverOption], onLine: line =>
        {
            if (line.StartsWith("endpoint ", StringComparison.Ordinal))
            {
                endpoint.TrySetResult(line["endpoint ".Length..]);
            }
            else if (line.StartsWith("spans ", StringComparison.Ordinal))
            {
                Interlocked.Exchange(ref spans.Value, long.Parse(line["spans ".Length..], CultureInfo.InvariantCulture));
            }
        });
        try
        {
            var url = await endpoint.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            return (child, url, () => Interlocked.Read(ref spans.Value));
        }
        catch
        {
            context.Children.Kill(child);
            throw;
        }
    }

    /// <summary>The child process: the receiver, counting spans, until SIGTERM.</summary>
    public static async Task<int> ServeReceiverAsync()
    {
        using var cancel = new BenchCancellation("stopping the OTLP receiver");
        await using var receiver = await OtlpReceiver.StartAsync(keep: false, cancel.Token).ConfigureAwait(false);
        Console.WriteLine($"endpoint {receiver.Endpoint}");
        var reported = -1L;
        while (!cancel.IsCancellationRequested)
        {
            if (receiver.SpansReceived != reported)
            {
                reported = receiver.SpansReceived;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"spans {reported}"));
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancel.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return 0;
    }

    private static string Build(IReadOnlyList<WrkRun> runs, WarmPathSettings settings, long exported, long onRequests)
    {
        double Median(string target, Func<WrkRun, double> value) => Stats.Median([.. runs.Where(r => r.Target == target).Select(value)]);
        var ratio = Median(On, r => r.RequestsPerSecond) / Median(Off, r => r.RequestsPerSecond);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"wrk -t{settings.Threads} -c{settings.Connections} -d{(int)settings.Duration.TotalSeconds}s, {settings.Rounds} interleaved round(s) per mesh; medians. Proxy CPU is the mesh process's (with the exporter for {On}); the receiver runs in a process of its own on the same CPUs.");
        text.AppendLine();
        text.AppendLine("| mesh | req/s | p50 | p99 | proxy CPU µs/req | mesh B/req |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var target in new[] { Off, On })
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {target} | {Median(target, r => r.RequestsPerSecond):0} | {Stats.Ms(Median(target, r => r.P50Ms))} | {Stats.Ms(Median(target, r => r.P99Ms))} | {Median(target, r => r.ProxyCpuUsPerRequest):0.0} | {Median(target, r => r.Gc.BytesPerRequest):0} |");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"**Export on / off: {ratio:0.00}×** req/s (target ≥ 0.90×). Spans received: {exported} for {onRequests} requests through {On} ({(onRequests == 0 ? 0 : exported * 100.0 / onRequests):0.0} %; the SDK drops what its queue cannot hold).");
        return text.ToString();
    }

    private static string Quote(string value) => $"'{value.Replace("'", "''", StringComparison.Ordinal)}'";
}
