// MeshDev.ClusterBench — issue 14's benchmark (pods join the mesh), in the API-server stand-in; hand-run, not in CI.
//
//   devtools/bench/run-cluster.sh [options]     (--help for them)
//
// 1. cold call from a pod to a stopped laptop service vs. the same cold call on the laptop (≤ baseline + 30 ms);
// 2. warm pod → laptop service p50 vs. laptop → pod through a plain port-forward (≤ 1.2×);
// 3. warm pod → ready pod req/s through the gateway vs. pod → pod IP (≥ 0.8×);
// 4. the in-cluster part: image size (≤ 20 MB) and idle RSS (≤ 50 MB) of the NativeAOT gateway.
// Prints a Markdown report and writes it to devtools/bench/cluster-results.md. Everything it starts (the mesh, its
// laptop services, the stand-in's pods and network namespaces, wrk) is stopped on exit, on failure and on SIGINT/SIGTERM.

using System.Runtime.Versioning;
using MeshDev.ClusterBench;

// Linux only: network namespaces, /proc, nsenter, ss, ldd.
[assembly: SupportedOSPlatform("linux")]

return await ClusterBenchProgram.MainAsync(args).ConfigureAwait(false);

namespace MeshDev.ClusterBench
{
    internal static class ClusterBenchProgram
    {
        public static async Task<int> MainAsync(string[] args)
        {
            ClusterBenchOptions options;
            try
            {
                options = ClusterBenchOptions.Parse(args);
            }
            catch (BenchException e)
            {
                Console.Error.WriteLine($"error: {e.Message}\n{ClusterBenchOptions.Usage}");
                return 2;
            }

            if (options.Help)
            {
                Console.WriteLine(ClusterBenchOptions.Usage);
                return 0;
            }

#if DEBUG
            Console.Error.WriteLine("warning: a Debug build; figures are only meaningful in Release (devtools/bench/run-cluster.sh)");
#endif
            using var cancel = new BenchCancellation("stopping the mesh, the pods and everything else the bench started…");
            using var scratch = new ScratchDirectory("meshdev-cluster-bench-");
            BenchCluster? cluster = null;
            try
            {
                if (Environment.UserName != "root")
                {
                    throw new BenchException("the stand-in runs pods in network namespaces, which needs root");
                }

                var repositoryRoot = Repository.FindRoot();
                var gateway = options.Gateway ?? Path.Combine(repositoryRoot, "src", "MeshDev.Gateway", "bin", "Release", "net10.0", "linux-x64", "publish", "meshdev-gateway");
                if (!File.Exists(gateway))
                {
                    throw new BenchException($"no NativeAOT gateway at {gateway}: publish it (dotnet publish src/MeshDev.Gateway -c Release -r linux-x64; run-cluster.sh does) or give --gateway PATH");
                }

                var machine = ClusterMachine.Describe(repositoryRoot);
                Console.WriteLine($"MeshDev cluster bench: {machine.Cpus} CPU(s) {machine.CpuModel}; {machine.Runtime}; commit {machine.Commit}; load {machine.LoadAtStart}");
                var duration = TimeSpan.FromSeconds(options.DurationSeconds);
                var latency = new WrkLoad(options.LatencyConnections, duration);
                var throughput = new WrkLoad(options.LoadConnections, duration);
                var warmup = TimeSpan.FromSeconds(options.WarmWarmupSeconds);

                FootprintResult? footprint = null;
                if (options.Runs("footprint"))
                {
                    Console.WriteLine($"(4) the in-cluster part: image files and idle RSS of {gateway} with {options.GatewayPorts} mesh ports");
                    footprint = await GatewayFootprint.MeasureAsync(gateway, options.GatewayPorts, cancel.Token).ConfigureAwait(false);
                    Console.WriteLine($"  image {footprint.UncompressedBytes / 1e6:0.0} MB ({footprint.Files.Count} files; gzip'd {footprint.CompressedBytes / 1e6:0.0} MB); idle RSS {footprint.Idle?.RssMiB:0.0} MiB");
                }

                var podMemory = new List<GatewayMemory>();
                ColdResult? cold = null;
                WarmResult? laptop = null;
                PodToPodResult? pods = null;
                if (options.Only is not "footprint")
                {
                    Console.WriteLine("starting the mesh with the API-server stand-in (orders, stock: pods; users: a laptop process)");
                    cluster = await BenchCluster.StartAsync(gateway, scratch.Path, cancel.Token).ConfigureAwait(false);
                    await cluster.BringUpPodAsync(BenchCluster.CallerPod, cancel.Token).ConfigureAwait(false);
                    var ordersPod = cluster.PodNetworkOf(BenchCluster.CallerPod);
                    Console.WriteLine($"  orders pod {cluster.Mesh.PodOf(BenchCluster.CallerPod)} at {ordersPod.Address}, link connected");
                    if (options.Only is null)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(3), cancel.Token).ConfigureAwait(false);
                        podMemory.AddRange(await GatewayFootprint.InPodAsync(ordersPod, "in the orders pod, link connected, before any call").ConfigureAwait(false));
                    }

                    if (options.Runs("cold"))
                    {
                        Console.WriteLine($"(1) cold call to the stopped laptop service: {options.ColdWarmup} warm-up + {options.ColdRounds} rounds per side, alternating");
                        cold = await new ColdCallBench(cluster).RunAsync(options.ColdRounds, options.ColdWarmup, cancel.Token).ConfigureAwait(false);
                    }

                    if (options.Runs("laptop"))
                    {
                        Console.WriteLine($"(2) warm pod → laptop service: {options.WarmRounds} round(s) of {latency.Describe()} and {throughput.Describe()} per target");
                        laptop = await LaptopPathBench.RunAsync(cluster, [latency, throughput], warmup, options.WarmRounds, cancel.Token).ConfigureAwait(false);
                    }

                    if (options.Runs("pods"))
                    {
                        Console.WriteLine($"(3) warm pod → ready pod: {options.WarmRounds} round(s) of {throughput.Describe()} and {latency.Describe()} per target");
                        pods = await PodToPodBench.RunAsync(cluster, [throughput, latency], warmup, options.WarmRounds, cancel.Token).ConfigureAwait(false);
                    }

                    if (options.Only is null)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(5), cancel.Token).ConfigureAwait(false);
                        podMemory.AddRange(await GatewayFootprint.InPodAsync(ordersPod, "in the orders pod, link connected, 5 s after all the load above").ConfigureAwait(false));
                        podMemory.AddRange(await GatewayFootprint.InPodAsync(cluster.PodNetworkOf(BenchCluster.CalledPod), "in the stock pod, link connected, 5 s after all the load above").ConfigureAwait(false));
                    }
                }

                var report = ClusterReport.Build(new ClusterResults(machine, options.Label, gateway, footprint, podMemory, cold, laptop, pods, latency, throughput));
                Console.WriteLine();
                await BenchReport.PrintAndWriteAsync(report, options.Results, repositoryRoot, "cluster-results.md").ConfigureAwait(false);

                return 0;
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                Console.Error.WriteLine("cancelled");
                return 130;
            }
            catch (BenchException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
            finally
            {
                if (cluster is not null)
                {
                    // Stops the laptop services, then the stand-in, which kills every pod's processes and removes its namespaces.
                    await cluster.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }
}
