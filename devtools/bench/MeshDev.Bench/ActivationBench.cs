using System.Diagnostics;
using System.Net;
using MeshDev.Activation;
using MeshDev.Runtime;

namespace MeshDev.Bench;

/// <summary>
/// One direct round: spawn → "listening on" line → first 200 on GET /; then, outside the measurement, the time of the
/// service's first call to its other endpoint (GET /healthz), the counterpart of the mesh's GET / after its probe.
/// </summary>
internal sealed record DirectRound(double TotalMs, double ListeningMs, int Attempts, double SecondEndpointMs);

/// <summary>
/// One mesh round: GET / sent to the mesh port of the stopped service → 200, with milestones in ms after sending:
/// the spawn, the service's "listening on" line, and readiness (spawn + the activator's own "ready in N ms", which it
/// counts from the start of the launch, a moment before the spawn: so this is late by at most request → spawn).
/// </summary>
internal sealed record MeshRound(double TotalMs, double SpawnMs, double ListeningMs, double ReadyInMs)
{
    public double ReadyMs => SpawnMs + ReadyInMs;
}

/// <summary>
/// The rounds of each <see cref="ActivationVariant"/>, in the order of <see cref="BenchMesh.Variants"/>; <see cref="Mesh"/> is
/// the probed one's. <see cref="DirectWithFlags"/>: the direct rounds run with <see cref="BenchMesh.SystemdFlags"/>, the
/// baseline of the variants that pass them.
/// </summary>
internal sealed record ActivationResult(
    IReadOnlyList<DirectRound> Direct, IReadOnlyList<DirectRound> DirectWithFlags, IReadOnlyList<(ActivationVariant Variant, IReadOnlyList<MeshRound> Rounds)> Variants, int WarmupRounds)
{
    public IReadOnlyList<MeshRound> Mesh => Variants[0].Rounds;

    /// <summary>The direct rounds that ran the test service with the same arguments as <paramref name="variant"/>.</summary>
    public IReadOnlyList<DirectRound> BaselineOf(ActivationVariant variant) => variant.Flags.Length == 0 ? Direct : DirectWithFlags;
}

/// <summary>
/// Part (a): the time to the first response through the mesh for a stopped service, against the time the same service
/// needs from spawn to its first direct response, for each way the mesh learns readiness (probe, socket activation,
/// sd_notify). Each round starts all five (direct, direct --systemd, probe, socket, notify), in an order that rotates from
/// round to round, so drift in machine load and the warmth of a start that follows another hit all alike. The socket and notify services run with --systemd, which loads and runs code of its own at start-up
/// (Kestrel's UseSystemd, SystemdNotifier): their baseline is the direct start with the same arguments.
/// </summary>
internal sealed class ActivationBench(BenchContext context, BenchMesh mesh)
{
    private static readonly TimeSpan RoundTimeout = TimeSpan.FromSeconds(60);

    public async Task<ActivationResult> RunAsync(int rounds, int warmup, CancellationToken cancellationToken)
    {
        var direct = new List<DirectRound>();
        var directWithFlags = new List<DirectRound>();
        var viaMesh = BenchMesh.Variants.Select(v => (Variant: v, Rounds: new List<MeshRound>())).ToList();
        // One step per start: the two direct ones, then each mesh variant.
        var steps = 2 + viaMesh.Count;
        for (var i = 0; i < warmup + rounds; i++)
        {
            var label = i < warmup ? $"warm-up {i + 1}/{warmup}" : $"round {i - warmup + 1}/{rounds}";
            Console.WriteLine($"  {label}:");
            DirectRound? d = null, f = null;
            // The order rotates each round: a start right after another one runs warmer (page cache, CPU caches, the
            // other's exit still being reaped), and no side may always get the same place.
            for (var s = 0; s < steps; s++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                switch ((s + i) % steps)
                {
                    case 0:
                        d = RunDirect([], cancellationToken);
                        Console.WriteLine($"    direct {Stats.Ms(d.TotalMs)} (listening at {Stats.Ms(d.ListeningMs)}, {d.Attempts} polls)");
                        break;
                    case 1:
                        f = RunDirect(BenchMesh.SystemdFlags, cancellationToken);
                        Console.WriteLine($"    direct ({string.Join(' ', BenchMesh.SystemdFlags)}) {Stats.Ms(f.TotalMs)} (listening at {Stats.Ms(f.ListeningMs)}, {f.Attempts} polls)");
                        break;
                    case var v:
                        var (variant, variantRounds) = viaMesh[v - 2];
                        var m = await RunMeshAsync(variant, cancellationToken).ConfigureAwait(false);
                        Console.WriteLine($"    mesh ({variant.Key}) {Stats.Ms(m.TotalMs)} (spawn at {Stats.Ms(m.SpawnMs)}, listening at {Stats.Ms(m.ListeningMs)}, ready at ~{Stats.Ms(m.ReadyMs)})");
                        if (i >= warmup)
                        {
                            variantRounds.Add(m);
                        }

                        break;
                }
            }

            if (i >= warmup)
            {
                direct.Add(d!);
                directWithFlags.Add(f!);
            }
        }

        return new ActivationResult(direct, directWithFlags, [.. viaMesh.Select(v => (v.Variant, (IReadOnlyList<MeshRound>)v.Rounds))], warmup);
    }

    /// <summary>Spawns the service, polls GET / about every millisecond until the first 200, kills the whole process group.</summary>
    private DirectRound RunDirect(string[] flags, CancellationToken cancellationToken)
    {
        var port = Ports.GetFreePort();
        DirectRound? result = null;
        Exception? failure = null;

        // A dedicated thread: a blocking 1 ms poll loop must not take a thread-pool thread from the in-process mesh.
        var thread = new Thread(() =>
        {
            try
            {
                result = PollDirect(port, flags, cancellationToken);
            }
            catch (Exception e)
            {
                failure = e;
            }
        })
        { IsBackground = true, Name = "direct-poll" };
        thread.Start();
        thread.Join();
        return failure switch
        {
            null => result!,
            OperationCanceledException or BenchException => throw failure,
            _ => throw new BenchException($"direct round failed: {failure.Message}", failure),
        };
    }

    private DirectRound PollDirect(int port, string[] flags, CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false, ConnectTimeout = TimeSpan.FromSeconds(1) };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };
        var uri = new Uri($"http://127.0.0.1:{port}/");
        var listeningAt = double.NaN;
        var stopwatch = new Stopwatch();
        var environment = new Dictionary<string, string>(context.ServiceEnvironment) { ["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) };

        stopwatch.Start();
        // In the mesh's working directory (the manifest's folder, the default of 'workingDir'): ASP.NET Core watches its
        // content root, the working directory, recursively, so a big folder (the repository) costs startup time.
        var child = context.Children.Start(context.Dotnet, [context.TestServiceDll, .. flags], environment, line =>
        {
            if (line.StartsWith("listening on", StringComparison.Ordinal) && double.IsNaN(listeningAt))
            {
                listeningAt = stopwatch.Elapsed.TotalMilliseconds;
            }
        }, workingDirectory: context.TempDirectory);
        try
        {
            var attempts = 0;
            while (stopwatch.Elapsed < RoundTimeout)
            {
                cancellationToken.ThrowIfCancellationRequested();
                attempts++;
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                    using var response = client.Send(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        var total = stopwatch.Elapsed.TotalMilliseconds;
                        var second = Stopwatch.StartNew();
                        using var healthzRequest = new HttpRequestMessage(HttpMethod.Get, new Uri(uri, "healthz"));
                        using var healthz = client.Send(healthzRequest, HttpCompletionOption.ResponseContentRead, cancellationToken);
                        return new DirectRound(total, listeningAt, attempts, second.Elapsed.TotalMilliseconds);
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                if (child.Process.HasExited)
                {
                    throw new BenchException($"the test service exited with code {child.Process.ExitCode} before answering");
                }

                Thread.Sleep(1);
            }

            throw new BenchException($"the test service did not answer within {RoundTimeout.TotalSeconds} s");
        }
        finally
        {
            context.Children.Kill(child);
        }
    }

    private async Task<MeshRound> RunMeshAsync(ActivationVariant variant, CancellationToken cancellationToken)
    {
        var activator = mesh.ActivatorOf(variant);
        if (activator.State != ServiceState.Stopped)
        {
            throw new BenchException($"the service should be stopped before a mesh round, but is {activator.State}");
        }

        using var handler = new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false };
        using var client = new HttpClient(handler) { Timeout = RoundTimeout };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RoundTimeout);

        var milestones = mesh.BeginRound();
        using var response = await client.GetAsync(mesh.UriOf(variant), HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
        var total = Stopwatch.GetElapsedTime(milestones.Sent).TotalMilliseconds;
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new BenchException($"the mesh answered {(int)response.StatusCode}: {body}");
        }

        await mesh.StopServiceAsync(activator, cancellationToken).ConfigureAwait(false);
        return new MeshRound(total, milestones.Since(milestones.Spawn), milestones.Since(milestones.Listening), milestones.ReadyInMs);
    }
}
