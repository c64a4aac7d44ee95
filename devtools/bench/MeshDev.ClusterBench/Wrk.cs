using System.Globalization;
using System.Text.RegularExpressions;
using MeshDev.Kubernetes.Tests.ApiServer;

namespace MeshDev.ClusterBench;

/// <summary>
/// One wrk run against one target: throughput, latency percentiles (wrk's, in µs resolution), failures, and the CPU
/// each part of the path spent per request during it (µs; utime+stime from /proc).
/// </summary>
internal sealed record WrkRun(string Target, int Connections, double RequestsPerSecond, long Requests, double P50Ms, double P90Ms, double P99Ms, long Errors)
{
    public IReadOnlyDictionary<string, double> CpuUsPerRequest { get; init; } = new Dictionary<string, double>();
}

/// <summary>How a wrk run is made: connections and threads, and for how long.</summary>
internal sealed record WrkLoad(int Connections, TimeSpan Duration)
{
    /// <summary>One thread for a single connection (a second would idle), two otherwise: one per core.</summary>
    public int Threads => Connections == 1 ? 1 : 2;

    public string Describe() => $"wrk -t{Threads} -c{Connections} -d{(int)Duration.TotalSeconds}s --latency";
}

/// <summary>
/// Runs wrk (a real, independent client: C, keep-alive HTTP/1.1, light on CPU) on the laptop or, through nsenter,
/// inside a pod's network namespace, where 127.0.0.1 is the pod's own loopback: the gateway's mesh ports.
/// </summary>
internal static partial class Wrk
{
    private static readonly Lazy<string> Executable = new(() => Find("wrk"));

    /// <summary>The full path of a host tool; a sentence that says how to install it when it is missing.</summary>
    public static string Find(string tool)
    {
        try
        {
            return HostCommand.Find(tool);
        }
        catch (InvalidOperationException)
        {
            throw new BenchException($"{tool} is not installed (devtools/bench/run-cluster.sh installs wrk: apt-get install -y wrk)");
        }
    }

    /// <param name="pod">Where wrk runs: inside this pod's network namespace, or on the laptop when null.</param>
    public static async Task<WrkRun> RunAsync(string target, PodNetwork? pod, Uri url, WrkLoad load, CancellationToken cancellationToken)
    {
        string[] command = [Executable.Value, $"-t{load.Threads}", $"-c{load.Connections}", $"-d{(int)load.Duration.TotalSeconds}s", "--latency", url.ToString()];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(load.Duration + TimeSpan.FromSeconds(30));
        var result = pod is null
            ? await HostCommand.RunAsync(command[0], command[1..], cancellationToken: timeout.Token).ConfigureAwait(false)
            : await pod.RunAsync(command, cancellationToken: timeout.Token).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new BenchException($"wrk against {url} ({target}) exited with {result.ExitCode}: {result.Error.Trim()}{result.Output.Trim()}");
        }

        return Parse(target, load.Connections, result.Output)
            ?? throw new BenchException($"could not read wrk's output ({target}):\n{result.Output}");
    }

    private static WrkRun? Parse(string target, int connections, string text)
    {
        var rps = RequestsPerSecond().Match(text);
        var requests = RequestCount().Match(text);
        if (!rps.Success || !requests.Success)
        {
            return null;
        }

        double Latency(string percent)
        {
            var match = Regex.Match(text, @"^\s*" + percent + @"%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
            return match.Success
                ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) * match.Groups[2].Value switch { "us" => 0.001, "ms" => 1, _ => 1000 }
                : double.NaN;
        }

        long errors = 0;
        if (Non2xx().Match(text) is { Success: true } non2xx)
        {
            errors += long.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture);
        }

        if (SocketErrors().Match(text) is { Success: true } socket)
        {
            errors += Enumerable.Range(1, 4).Sum(i => long.Parse(socket.Groups[i].Value, CultureInfo.InvariantCulture));
        }

        return new WrkRun(target, connections, double.Parse(rps.Groups[1].Value, CultureInfo.InvariantCulture),
            long.Parse(requests.Groups[1].Value, CultureInfo.InvariantCulture), Latency("50"), Latency("90"), Latency("99"), errors);
    }

    [GeneratedRegex(@"^Requests/sec:\s+([\d.]+)", RegexOptions.Multiline)]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"^\s*(\d+) requests in", RegexOptions.Multiline)]
    private static partial Regex RequestCount();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Non2xx();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrors();
}
