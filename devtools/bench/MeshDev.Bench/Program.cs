// MeshDev.Bench — the hand-run benchmark of devtools/bench (see README.md there). Not part of CI.
//
//   (a) activation overhead: first response through the mesh for a stopped service vs. the service's own
//       spawn-to-first-response time, alternating rounds;
//   (b) warm path: wrk against the service directly, through the mesh, and through nginx.
//
// Prints a Markdown report and writes it to devtools/bench/results.md (or --results PATH, or nowhere with --results -).
// Everything it starts (service instances, nginx, wrk, the mesh) is stopped on exit, on failure and on SIGINT/SIGTERM.

using System.Reflection;
using System.Runtime.Versioning;
using MeshDev.Bench;

// Linux only: /proc, process groups, wrk and nginx.
[assembly: SupportedOSPlatform("linux")]

return await BenchProgram.MainAsync(args).ConfigureAwait(false);

namespace MeshDev.Bench
{
    internal static class BenchProgram
    {
        private const string Usage = """
            usage: MeshDev.Bench [options]
              --rounds N            activation rounds per side, after the warm-up (default 25, at least 20 for the report)
              --warmup N            activation warm-up rounds per side, not counted (default 2)
              --duration S          seconds per wrk run (default 5)
              --warm-rounds N       wrk rounds per target, interleaved (default 20)
              --warm-warmup S       seconds of the discarded wrk warm-up run per target (default 5)
              --threads N           wrk -t (default 2)
              --connections N       wrk -c (default 32)
              --only activation|warm|attribution|prewarm|prewarm-shop|grpc|tcp|otel   one part only (attribution: the cost of
                                    naming each connection's caller, written to devtools/bench/attribution-results.md;
                                    prewarm: a cold 4-deep python chain with and without pre-launch against all four
                                    started at once, written to devtools/bench/prewarm-results.md; prewarm-shop: the same
                                    for the sample shop's four .NET services (prewarm-shop-results.md); grpc: unary calls with
                                    h2load directly, through the mesh and through nginx grpc_pass; tcp: round trips and a
                                    bulk stream directly, through a protocol: tcp mesh port and through nginx stream;
                                    both written to devtools/bench/peers-results.md, --warm-rounds and --duration apply;
                                    otel: the warm path through a mesh without and with OTLP export to a receiver on this
                                    machine, interleaved, written to devtools/bench/otel-results.md; --warm-rounds,
                                    --duration, --warm-warmup, --threads and --connections apply)
              --profile-alloc       after the warm path, one extra mesh run that samples the mesh's allocations by type
              --baseline-forwarder  a fourth warm-path target: a minimal Kestrel + YARP IHttpForwarder in this process
              --mesh-env NAME=VALUE an environment variable for the in-process mesh host only, not for the services it
                                    launches (repeatable), e.g. Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics=None
              --label TEXT          a line in the report (e.g. the settings of a variant)
              --results PATH        where to write the report (default devtools/bench/results.md; '-' = stdout only)
            environment: MESHDEV_BENCH_TMP = scratch directory (run.sh sets it; else a new temporary one, deleted at the end)
            """;

        public static async Task<int> MainAsync(string[] args)
        {
            if (args is [OtelBench.ReceiverOption])
            {
                return await OtelBench.ServeReceiverAsync().ConfigureAwait(false);
            }

            Options options;
            try
            {
                options = Options.Parse(args);
            }
            catch (BenchException e)
            {
                Console.Error.WriteLine($"error: {e.Message}\n{Usage}");
                return 2;
            }

            if (options.Help)
            {
                Console.WriteLine(Usage);
                return 0;
            }

            using var cancel = new BenchCancellation("stopping everything the bench started…");
            var repositoryRoot = Repository.FindRoot();
            var configuration = typeof(BenchProgram).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
            var testService = Path.Combine(repositoryRoot, "tests", "MeshDev.TestService", "bin", configuration, "net10.0", "MeshDev.TestService.dll");
            if (!File.Exists(testService))
            {
                Console.Error.WriteLine($"error: {testService} does not exist; build devtools/bench/MeshDev.Bench (it builds the test service too)");
                return 1;
            }

            if (configuration != "Release")
            {
                Console.Error.WriteLine($"warning: this is a {configuration} build; figures are only meaningful in Release (devtools/bench/run.sh)");
            }

            using var scratch = new ScratchDirectory("meshdev-bench-");
            var temp = scratch.Path;
            var children = new ChildProcesses(Path.Combine(temp, "children.pids"));
            BenchMesh? mesh = null;
            try
            {
                var context = new BenchContext(FindDotnet(), testService, temp, children, options.MeshEnvironment);
                var machine = Machine.Describe(repositoryRoot, configuration);
                Console.WriteLine($"MeshDev bench: {machine.Cpus} CPU(s) {machine.CpuModel}; {machine.Runtime}; commit {machine.Commit}");
                Console.WriteLine($"  dotnet {context.Dotnet}; test service {testService}; scratch {temp}");

                if (options.Only == "attribution")
                {
                    Console.WriteLine("(c) caller attribution: 5 rounds of 5000 loopback connections, with and without Track");
                    var attribution = $"# Caller attribution cost\n\n{machine.Cpus} CPU(s) {machine.CpuModel}; {machine.Runtime}; commit {machine.Commit}\n\n"
                        + await AttributionBench.RunAsync(5000, 5, cancel.Token).ConfigureAwait(false);
                    await BenchReport.PrintAndWriteAsync(attribution, options.Results, repositoryRoot, "attribution-results.md").ConfigureAwait(false);
                    return 0;
                }

                if (options.Only == "prewarm")
                {
                    Console.WriteLine($"(d) cold chain of 4 python services: {options.Rounds} rounds, A/B alternating");
                    var prewarm = $"# Pre-launch of a cold call chain\n\n{machine.Cpus} CPU(s) {machine.CpuModel}; {machine.Runtime}; commit {machine.Commit}; load at start {machine.LoadAtStart}\n\n"
                        + await PrewarmBench.RunAsync(context, options.Rounds, cancel.Token).ConfigureAwait(false);
                    await BenchReport.PrintAndWriteAsync(prewarm, options.Results, repositoryRoot, "prewarm-results.md").ConfigureAwait(false);
                    return 0;
                }

                if (options.Only == "prewarm-shop")
                {
                    Console.WriteLine($"(d2) the sample shop's first call: {options.Rounds} rounds");
                    var shop = $"# Pre-launch of the sample shop\n\n{machine.Cpus} CPU(s) {machine.CpuModel}; {machine.Runtime}; commit {machine.Commit}; load at start {machine.LoadAtStart}\n\n"
                        + await ShopPrewarmBench.RunAsync(context, repositoryRoot, options.Rounds, cancel.Token).ConfigureAwait(false);
                    await BenchReport.PrintAndWriteAsync(shop, options.Results, repositoryRoot, "prewarm-shop-results.md").ConfigureAwait(false);
                    return 0;
                }

                if (options.Only is "grpc" or "tcp")
                {
                    var grpcService = Path.Combine(repositoryRoot, "tests", "MeshDev.GrpcTestService", "bin", configuration, "net10.0", "MeshDev.GrpcTestService.dll");
                    Console.WriteLine(options.Only == "grpc"
                        ? $"(e) gRPC unary: h2load -c4 -m8, {options.WarmRounds} round(s) of {options.DurationSeconds} s per target"
                        : $"(f) TCP: 32 × 1 KiB round trips for {options.DurationSeconds} s and a 1 GiB stream, {options.WarmRounds} round(s) per target");
                    var part = options.Only == "grpc"
                        ? await GrpcUnaryBench.RunAsync(context, grpcService, options.WarmRounds, options.DurationSeconds, cancel.Token).ConfigureAwait(false)
                        : await TcpBench.RunAsync(context, repositoryRoot, options.WarmRounds, options.DurationSeconds, cancel.Token).ConfigureAwait(false);
                    Console.WriteLine(part);
                    var peersPath = options.Results ?? Path.Combine(repositoryRoot, "devtools", "bench", "peers-results.md");
                    if (peersPath != "-")
                    {
                        await PeersReport.WriteAsync(peersPath, machine, options.Only, part).ConfigureAwait(false);
                        Console.WriteLine($"written to {peersPath}");
                    }

                    return 0;
                }

                if (options.Only == "otel")
                {
                    Console.WriteLine($"(g) OpenTelemetry export: wrk -t{options.Threads} -c{options.Connections} -d{options.DurationSeconds}s, {options.WarmRounds} round(s) per mesh, export off and on");
                    var otel = $"# OpenTelemetry export on the warm path\n\n{machine.Cpus} CPU(s) {machine.CpuModel}; {machine.Runtime}; commit {machine.Commit}; load at start {machine.LoadAtStart}\n\n"
                        + await OtelBench.RunAsync(context, WarmSettings(options), cancel.Token).ConfigureAwait(false);
                    await BenchReport.PrintAndWriteAsync(otel, options.Results, repositoryRoot, "otel-results.md").ConfigureAwait(false);
                    return 0;
                }

                mesh = await BenchMesh.StartAsync(context, cancel.Token).ConfigureAwait(false);
                Console.WriteLine($"  mesh port of the service: 127.0.0.1:{mesh.MeshPort}");

                ActivationResult? activation = null;
                if (options.Only is null or "activation")
                {
                    Console.WriteLine($"(a) activation overhead: {options.Warmup} warm-up + {options.Rounds} rounds each, the order rotating");
                    activation = await new ActivationBench(context, mesh).RunAsync(options.Rounds, options.Warmup, cancel.Token).ConfigureAwait(false);
                }

                WarmPathResult? warm = null;
                if (options.Only is null or "warm")
                {
                    Console.WriteLine($"(b) warm path: wrk -t{options.Threads} -c{options.Connections} -d{options.DurationSeconds}s, {options.WarmRounds} round(s) per target");
                    warm = await new WarmPathBench(context, mesh).RunAsync(WarmSettings(options), cancel.Token).ConfigureAwait(false);
                }

                var report = Report.Build(machine, options.Label, options.MeshEnvironment, activation, warm);
                Console.WriteLine();
                await BenchReport.PrintAndWriteAsync(report, options.Results, repositoryRoot, "results.md").ConfigureAwait(false);

                return 0;
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                Console.Error.WriteLine("cancelled");
                return 130;
            }
            catch (Exception e) when (e is BenchException or MeshDev.Daemon.Hosting.MeshStartException or MeshDev.Catalog.ManifestException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
            finally
            {
                if (mesh is not null)
                {
                    // Stops the service instance the mesh launched (and removes its pid file).
                    await mesh.DisposeAsync().ConfigureAwait(false);
                }

                children.KillAll();
            }
        }

        private static WarmPathSettings WarmSettings(Options options) => new(
            options.Threads, options.Connections, TimeSpan.FromSeconds(options.DurationSeconds), TimeSpan.FromSeconds(options.WarmWarmupSeconds),
            options.WarmRounds, options.ProfileAllocations, options.ForwarderBaseline);

        /// <summary>The dotnet host both the direct runs and the mesh launch the test service with.</summary>
        private static string FindDotnet()
        {
            if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
            {
                return self;
            }

            if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
            {
                return host;
            }

            return WarmPathBench.FindOnPath("dotnet") ?? throw new BenchException("dotnet is not on PATH");
        }

        private sealed record Options
        {
            public int Rounds { get; init; } = 25;
            public int Warmup { get; init; } = 2;
            public int DurationSeconds { get; init; } = 5;
            public int WarmRounds { get; init; } = 20;
            public int WarmWarmupSeconds { get; init; } = 5;
            public int Threads { get; init; } = 2;
            public int Connections { get; init; } = 32;
            public string? Only { get; init; }
            public string? Label { get; init; }
            public string? Results { get; init; }
            public bool Help { get; init; }
            public bool ProfileAllocations { get; init; }
            public bool ForwarderBaseline { get; init; }
            public IReadOnlyDictionary<string, string> MeshEnvironment { get; init; } = new Dictionary<string, string>();

            public static Options Parse(string[] args)
            {
                var options = new Options();
                var arguments = new BenchArguments(args);
                while (arguments.Next(out var option))
                {
                    options = option switch
                    {
                        "--rounds" => options with { Rounds = arguments.Number(1) },
                        "--warmup" => options with { Warmup = arguments.Number(0) },
                        "--duration" => options with { DurationSeconds = arguments.Number(1) },
                        "--warm-rounds" => options with { WarmRounds = arguments.Number(1) },
                        "--warm-warmup" => options with { WarmWarmupSeconds = arguments.Number(1) },
                        "--threads" => options with { Threads = arguments.Number(1) },
                        "--connections" => options with { Connections = arguments.Number(1) },
                        "--only" => options with { Only = arguments.Value() is var only && only is "activation" or "warm" or "attribution" or "prewarm" or "prewarm-shop" or "grpc" or "tcp" or "otel" ? only : throw new BenchException("--only takes activation, warm, attribution, prewarm, prewarm-shop, grpc, tcp or otel") },
                        "--label" => options with { Label = arguments.Value() },
                        "--profile-alloc" => options with { ProfileAllocations = true },
                        "--baseline-forwarder" => options with { ForwarderBaseline = true },
                        "--mesh-env" => options with { MeshEnvironment = WithVariable(options.MeshEnvironment, arguments.Value()) },
                        "--results" => options with { Results = arguments.Value() },
                        "-h" or "--help" => options with { Help = true },
                        var other => throw new BenchException($"unknown option '{other}'"),
                    };
                }

                static Dictionary<string, string> WithVariable(IReadOnlyDictionary<string, string> variables, string assignment)
                {
                    var equals = assignment.IndexOf('=', StringComparison.Ordinal);
                    return equals <= 0
                        ? throw new BenchException($"--mesh-env takes NAME=VALUE, not '{assignment}'")
                        : new Dictionary<string, string>(variables) { [assignment[..equals]] = assignment[(equals + 1)..] };
                }

                if (options.Rounds < 20 && options.Only is null or "activation")
                {
                    Console.Error.WriteLine($"warning: {options.Rounds} activation rounds; the report asks for at least 20");
                }

                return options;
            }
        }
    }
}
