namespace MeshDev.DockerBench;

/// <summary>The command line.</summary>
internal sealed record BenchOptions
{
    public const int MinimumRoundsForTarget = 10;

    public const string Usage = """
        usage: MeshDev.DockerBench [options]
          --rounds N      counted rounds per side, alternating direct/mesh (default 15; the target needs at least 10)
          --warmup N      warm-up rounds per side before them, not counted (default 2)
          --replay N      rounds of the mesh's engine calls made one by one and timed each, after the comparison,
                          not counted in it (default 10; 0 = none)
          --results PATH  where to write the report (default devtools/bench/docker-results.md; '-' = stdout only)
        environment: MESHDEV_BENCH_TMP = scratch directory (run-docker.sh sets it; else a new temporary one, deleted at
                     the end); DOCKER_HOST = the engine (default unix:///var/run/docker.sock)
        """;

    public int Rounds { get; init; } = 15;

    public int Warmup { get; init; } = 2;

    public int Replay { get; init; } = 10;

    public string? Results { get; init; }

    public bool Help { get; init; }

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        var arguments = new BenchArguments(args);
        while (arguments.Next(out var option))
        {
            options = option switch
            {
                "--rounds" => options with { Rounds = arguments.Number(1) },
                "--warmup" => options with { Warmup = arguments.Number(0) },
                "--replay" => options with { Replay = arguments.Number(0) },
                "--results" => options with { Results = arguments.Value() },
                "-h" or "--help" => options with { Help = true },
                var other => throw new BenchException($"unknown option '{other}'"),
            };
        }

        return options;
    }
}
