namespace MeshDev.ClusterBench;

/// <summary>The command line of the cluster bench.</summary>
internal sealed record ClusterBenchOptions
{
    public const string Usage = """
        usage: MeshDev.ClusterBench [options]
          --cold-rounds N        cold calls per side (pod, laptop), alternating, after the warm-up (default 20)
          --cold-warmup N        cold warm-up rounds per side, not counted (default 2)
          --warm-rounds N        wrk rounds per target, order rotated each round (default 5)
          --duration S           seconds per wrk run (default 5)
          --warm-warmup S        seconds of the discarded wrk run per target before the rounds (default 3)
          --latency-connections N  wrk -c for the latency runs (p50 target; default 1, one thread)
          --load-connections N   wrk -c for the loaded runs (req/s target, and p50 under load; default 32, two threads)
          --gateway-ports N      mesh ports of the idle gateway whose RSS is measured (default 100)
          --gateway PATH         the NativeAOT gateway (default: src/MeshDev.Gateway's linux-x64 publish output)
          --only cold|laptop|pods|footprint   run one part only
          --label TEXT           a line in the report
          --results PATH         where to write the report (default devtools/bench/cluster-results.md; '-' = stdout only)
        environment: MESHDEV_BENCH_TMP = scratch directory (run-cluster.sh sets it; else a new temporary one)
        needs root (network namespaces), wrk, ss, nsenter, ldd
        """;

    public int ColdRounds { get; init; } = 20;
    public int ColdWarmup { get; init; } = 2;
    public int WarmRounds { get; init; } = 5;
    public int DurationSeconds { get; init; } = 5;
    public int WarmWarmupSeconds { get; init; } = 3;
    public int LatencyConnections { get; init; } = 1;
    public int LoadConnections { get; init; } = 32;
    public int GatewayPorts { get; init; } = 100;
    public string? Gateway { get; init; }
    public string? Only { get; init; }
    public string? Label { get; init; }
    public string? Results { get; init; }
    public bool Help { get; init; }

    public bool Runs(string part) => Only is null || Only == part;

    public static ClusterBenchOptions Parse(string[] args)
    {
        var options = new ClusterBenchOptions();
        var arguments = new BenchArguments(args);
        while (arguments.Next(out var option))
        {
            options = option switch
            {
                "--cold-rounds" => options with { ColdRounds = arguments.Number(1) },
                "--cold-warmup" => options with { ColdWarmup = arguments.Number(0) },
                "--warm-rounds" => options with { WarmRounds = arguments.Number(1) },
                "--duration" => options with { DurationSeconds = arguments.Number(1) },
                "--warm-warmup" => options with { WarmWarmupSeconds = arguments.Number(1) },
                "--latency-connections" => options with { LatencyConnections = arguments.Number(1) },
                "--load-connections" => options with { LoadConnections = arguments.Number(2) },
                "--gateway-ports" => options with { GatewayPorts = arguments.Number(1) },
                "--gateway" => options with { Gateway = arguments.Value() },
                "--only" => options with
                {
                    Only = arguments.Value() is var only && only is "cold" or "laptop" or "pods" or "footprint"
                        ? only
                        : throw new BenchException("--only takes cold, laptop, pods or footprint"),
                },
                "--label" => options with { Label = arguments.Value() },
                "--results" => options with { Results = arguments.Value() },
                "-h" or "--help" => options with { Help = true },
                var other => throw new BenchException($"unknown option '{other}'"),
            };
        }

        return options;
    }
}
