// MeshDev.DockerBench — the hand-run benchmark of Docker activation overhead (see devtools/bench/README.md). Not part of CI.
//
//   devtools/bench/run-docker.sh [--rounds N] [--warmup N] [--results PATH|-]
//
// Activation overhead for Docker = the first response through the mesh for a stopped runtime: docker service − the
// container's own create-to-first-direct-response time, same run, alternating rounds, medians; target ≤ 50 ms.
// Prints a Markdown report and writes it to devtools/bench/docker-results.md. Everything it creates (containers, the
// mesh) is removed on exit, on failure and on SIGINT/SIGTERM/SIGHUP.

using System.Diagnostics;
using System.Runtime.Versioning;
using Docker.DotNet;
using MeshDev.Docker;
using MeshDev.DockerBench;
using MeshDev.Runtime;

// Linux only: /proc, the local Docker engine, host networking.
[assembly: SupportedOSPlatform("linux")]

return await DockerBenchProgram.MainAsync(args).ConfigureAwait(false);

namespace MeshDev.DockerBench
{
    internal static class DockerBenchProgram
    {
        // Between a cleanup and the next timed round: lets the engine finish what a removal leaves behind (unmounts,
        // cgroup teardown) so that it does not bleed into the next measurement, on either side alike.
        private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(250);

        public static async Task<int> MainAsync(string[] args)
        {
            BenchOptions options;
            try
            {
                options = BenchOptions.Parse(args);
            }
            catch (BenchException e)
            {
                Console.Error.WriteLine($"error: {e.Message}\n{BenchOptions.Usage}");
                return 2;
            }

            if (options.Help)
            {
                Console.WriteLine(BenchOptions.Usage);
                return 0;
            }

#if DEBUG
            Console.Error.WriteLine("warning: a Debug build; figures are only meaningful in Release (devtools/bench/run-docker.sh)");
#endif
            if (options.Rounds < BenchOptions.MinimumRoundsForTarget)
            {
                Console.Error.WriteLine($"warning: {options.Rounds} rounds per side; the target is judged on at least {BenchOptions.MinimumRoundsForTarget}");
            }

            using var cancel = new BenchCancellation("removing everything the bench created…");
            string repositoryRoot;
            try
            {
                repositoryRoot = Repository.FindRoot();
            }
            catch (BenchException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }

            using var scratch = new ScratchDirectory("meshdev-docker-bench-");
            var temp = scratch.Path;

            var runId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
            var meshId = DockerBenchMesh.MeshIdFor(temp);
            using var engine = new DockerEngine();
            DockerClient? client = null;
            DockerBenchMesh? mesh = null;
            try
            {
                client = await engine.ConnectAsync(cancel.Token).ConfigureAwait(false);
                await BenchLabels.WriteAsync(Path.Combine(temp, "docker-labels"), runId, meshId).ConfigureAwait(false);
                var machine = await Machine.DescribeAsync(client, repositoryRoot, cancel.Token).ConfigureAwait(false);
                Console.WriteLine($"MeshDev Docker bench: {machine.Cpus} cores; {machine.Engine}; {machine.Runtime}; scratch {temp}");

                Console.WriteLine("making sure the NativeAOT test image exists (the first time: dotnet publish, about a minute)…");
                var started = Stopwatch.GetTimestamp();
                var reference = await AotImage.EnsureAsync(client, cancel.Token).ConfigureAwait(false);
                var inspected = await client.Images.InspectImageAsync(reference, cancel.Token).ConfigureAwait(false);
                var image = new ImageInfo(reference, inspected.ID, inspected.Size);
                Console.WriteLine($"  {reference} ({Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s)");

                mesh = await DockerBenchMesh.StartAsync(temp, reference, client, cancel.Token).ConfigureAwait(false);
                Console.WriteLine($"  mesh port of the service: {mesh.ServiceUri}");
                var direct = new DirectBench(client, mesh.Manifest, mesh.Service.Service, reference, runId);

                Console.WriteLine($"{options.Warmup} warm-up + {options.Rounds} rounds per side, alternating direct/mesh");
                var directRounds = new List<DirectRound>();
                var meshRounds = new List<MeshRound>();
                for (var i = 0; i < options.Warmup + options.Rounds; i++)
                {
                    await Task.Delay(Settle, cancel.Token).ConfigureAwait(false);
                    var d = await direct.RunAsync(cancel.Token).ConfigureAwait(false);

                    await mesh.EnsureStoppedAsync(cancel.Token).ConfigureAwait(false);
                    await Task.Delay(Settle, cancel.Token).ConfigureAwait(false);
                    var m = await mesh.RunAsync(cancel.Token).ConfigureAwait(false);
                    await mesh.EnsureStoppedAsync(cancel.Token).ConfigureAwait(false);

                    var t = m.Timeline;
                    var label = i < options.Warmup ? $"warm-up {i + 1}/{options.Warmup}" : $"round {i - options.Warmup + 1}/{options.Rounds}";
                    Console.WriteLine(
                        $"  {label}: direct {Stats.Ms(d.TotalMs)} (created {Stats.Ms(d.CreatedMs)}, started {Stats.Ms(d.StartedMs)}, accepts {Stats.Ms(d.AcceptedMs)} after {d.Polls} polls), " +
                        $"mesh {Stats.Ms(m.TotalMs)} (image checked {Stats.Ms(t.Ms(Milestone.ImageChecked))}, created {Stats.Ms(t.Ms(Milestone.Created))}, " +
                        $"started {Stats.Ms(t.Ms(Milestone.Started))}, listening {Stats.Ms(t.Ms(Milestone.Listening))}, probe passed {Stats.Ms(t.Ms(Milestone.ProbePassed))} after {t.Probes} probes)");
                    if (i >= options.Warmup)
                    {
                        directRounds.Add(d);
                        meshRounds.Add(m);
                    }
                }

                var loadAtEnd = HostFacts.LoadAverage();
                var replayRounds = new List<ReplayRound>();
                if (options.Replay > 0)
                {
                    Console.WriteLine($"replay of the mesh's engine calls, one by one: {options.Replay} rounds (not counted above)");
                    var replay = new EngineCallReplay(client, direct.Parameters, reference, runId);
                    for (var i = 0; i < options.Replay; i++)
                    {
                        await Task.Delay(Settle, cancel.Token).ConfigureAwait(false);
                        var r = await replay.RunAsync(cancel.Token).ConfigureAwait(false);
                        Console.WriteLine($"  replay {i + 1}/{options.Replay}: inspect {Stats.Ms(r.InspectMs)}, list {Stats.Ms(r.ListMs)}, create {Stats.Ms(r.CreateMs)}, attach {Stats.Ms(r.AttachMs)}, start {Stats.Ms(r.StartMs)}, then accepting after {Stats.Ms(r.ListeningMs)}");
                        replayRounds.Add(r);
                    }
                }

                var report = Report.Build(new BenchRun(machine, loadAtEnd, image, options.Warmup, directRounds, meshRounds, replayRounds));
                Console.WriteLine();
                await BenchReport.PrintAndWriteAsync(report, options.Results, repositoryRoot, "docker-results.md").ConfigureAwait(false);

                return 0;
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                Console.Error.WriteLine("cancelled");
                return 130;
            }
            catch (Exception e) when (e is BenchException or LaunchException or DockerApiException or MeshDev.Daemon.Hosting.MeshStartException or MeshDev.Catalog.ManifestException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
            finally
            {
                if (mesh is not null)
                {
                    // Stops the service, then the runtime removes every container of the mesh.
                    await mesh.DisposeAsync().ConfigureAwait(false);
                }

                if (client is not null)
                {
                    try
                    {
                        var left = await BenchLabels.RemoveAllAsync(client, runId, meshId).ConfigureAwait(false);
                        if (left > 0)
                        {
                            Console.Error.WriteLine($"removed {left} container(s) left by this run");
                        }
                    }
                    catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException or OperationCanceledException)
                    {
                        Console.Error.WriteLine($"warning: could not check for leftover containers ({e.Message}); see docker ps -a --filter label={BenchLabels.Run}={runId}");
                    }
                }
            }
        }
    }
}
