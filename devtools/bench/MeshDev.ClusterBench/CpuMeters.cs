using System.Globalization;
using MeshDev.Kubernetes.Tests.ApiServer;

namespace MeshDev.ClusterBench;

/// <summary>The processes of one part of a path (the gateway, an app, the laptop mesh) whose CPU a run is charged with.</summary>
internal sealed record CpuMeter(string Name, IReadOnlyList<int> Pids)
{
    private static readonly long TicksPerSecond =
        long.TryParse(HostFacts.Run("getconf", "CLK_TCK")?.Trim(), CultureInfo.InvariantCulture, out var ticks) && ticks > 0 ? ticks : 100;

    /// <summary>utime + stime of every process of the meter so far (all threads), in seconds, from /proc/PID/stat.</summary>
    public double Seconds() => Pids.Sum(pid =>
    {
        var stat = HostFacts.ReadLines($"/proc/{pid}/stat").FirstOrDefault();
        if (stat is null)
        {
            return 0;
        }

        // After "pid (comm) ": state is field 0, utime 11, stime 12 (comm may hold spaces, so split after its ')').
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / (double)TicksPerSecond;
    });

    /// <summary>The bench process: the laptop mesh, the link's laptop end and the API-server stand-in (its port-forward relay).</summary>
    public static CpuMeter Bench() => new("bench process (laptop mesh + API-server stand-in)", [Environment.ProcessId]);

    /// <summary>A pod's gateway sidecar and its app (every other process in the pod's namespace).</summary>
    public static async Task<(CpuMeter Gateway, CpuMeter App)> PodAsync(PodNetwork pod, string service)
    {
        var pids = await pod.ProcessesAsync().ConfigureAwait(false);
        var gateway = pids.Where(p => Comm(p) == "meshdev-gateway").ToList();
        return (new CpuMeter($"{service} gateway", gateway), new CpuMeter($"{service} app", [.. pids.Except(gateway)]));
    }

    /// <summary>A laptop service the mesh launched: the test service started with MESHDEV_TEST_NAME={service}, outside every pod.</summary>
    public static CpuMeter LaptopService(string service, IEnumerable<int> podPids)
    {
        var inPods = podPids.ToHashSet();
        var pids = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && !inPods.Contains(pid)
                && ReadEnvironment(pid).Contains($"MESHDEV_TEST_NAME={service}", StringComparer.Ordinal))
            {
                pids.Add(pid);
            }
        }

        return new CpuMeter($"{service} (laptop process)", pids);
    }

    private static string? Comm(int pid) => HostFacts.ReadLines($"/proc/{pid}/comm").FirstOrDefault()?.Trim();

    private static string[] ReadEnvironment(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/environ").Split('\0');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
