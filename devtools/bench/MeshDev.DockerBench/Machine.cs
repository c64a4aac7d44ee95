using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Docker.DotNet;

namespace MeshDev.DockerBench;

/// <summary>Where the bench ran: the machine, the Docker engine (from its API), the runtime, the commit.</summary>
internal sealed record Machine(string Date, int Cpus, string CpuModel, string Kernel, string Engine, string Runtime, string Commit, string LoadAtStart)
{
    public static async Task<Machine> DescribeAsync(DockerClient client, string repositoryRoot, CancellationToken cancellationToken)
    {
        var version = await client.System.GetVersionAsync(cancellationToken).ConfigureAwait(false);
        var info = await client.System.GetSystemInfoAsync(cancellationToken).ConfigureAwait(false);
        var engine = $"Docker engine {version.Version} (API {version.APIVersion}; storage driver {info.Driver}, cgroup {info.CgroupVersion} ({info.CgroupDriver}), runtime {info.DefaultRuntime})";

        var cpuModel = ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var kernel = "Linux " + (ReadLines("/proc/sys/kernel/osrelease").FirstOrDefault() ?? RuntimeInformation.OSDescription);
        var commit = Git(repositoryRoot, "rev-parse --short HEAD")?.Trim() ?? "unknown";
        var dirty = Git(repositoryRoot, "status --porcelain")?.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length ?? 0;
        return new Machine(
            DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
            Environment.ProcessorCount,
            cpuModel,
            kernel,
            engine,
            $"{RuntimeInformation.FrameworkDescription}",
            commit + (dirty > 0 ? $" (plus {dirty} uncommitted change(s))" : ""),
            LoadAverage());
    }

    /// <summary>The 1, 5 and 15 minute load averages: other work on a 2-core machine moves every figure.</summary>
    public static string LoadAverage() =>
        ReadLines("/proc/loadavg").FirstOrDefault() is { } line ? string.Join(" / ", line.Split(' ').Take(3)) : "unknown";

    private static IEnumerable<string> ReadLines(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (IOException)
        {
            return [];
        }
    }

    private static string? Git(string repositoryRoot, string arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("git", $"-C \"{repositoryRoot}\" {arguments}")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return null;
            }

            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit(10_000);
            return process.ExitCode == 0 ? output : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return null;
        }
    }
}
