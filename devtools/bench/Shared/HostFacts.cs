using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MeshDev.Bench.Shared;

/// <summary>What a report says about where it ran: read from /proc and git, never failing (a fact it cannot read is null or "unknown").</summary>
internal static class HostFacts
{
    public static string? CpuModel() =>
        ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim();

    public static string Kernel() => "Linux " + (ReadLines("/proc/sys/kernel/osrelease").FirstOrDefault() ?? RuntimeInformation.OSDescription);

    /// <summary>The 1, 5 and 15 minute load averages: other work on the machine skews every figure.</summary>
    public static string LoadAverage() =>
        ReadLines("/proc/loadavg").FirstOrDefault() is { } line ? string.Join(" / ", line.Split(' ').Take(3)) : "unknown";

    /// <summary>The checked-out commit (full or short hash; "unknown" without git) and how many files differ from it.</summary>
    public static (string Commit, int Uncommitted) Commit(string repositoryRoot, bool shortHash)
    {
        var commit = Run("git", $"-C \"{repositoryRoot}\" rev-parse {(shortHash ? "--short " : "")}HEAD")?.Trim() ?? "unknown";
        var uncommitted = Run("git", $"-C \"{repositoryRoot}\" status --porcelain")?.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length ?? 0;
        return (commit, uncommitted);
    }

    public static IEnumerable<string> ReadLines(string path)
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

    /// <summary>A command's standard output, or null when it cannot start or exits non-zero (waits up to 10 s).</summary>
    public static string? Run(string command, string arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
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
