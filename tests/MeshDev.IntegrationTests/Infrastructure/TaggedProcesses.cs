using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace MeshDev.IntegrationTests.Infrastructure;

/// <summary>A live process carrying a test's tag.</summary>
internal sealed record TaggedProcess(int Pid, string CommandLine)
{
    public override string ToString() => $"{Pid} {CommandLine}";
}

/// <summary>
/// Finds every process a test started, directly or not: each test puts <c>MESHDEV_TEST_TAG=&lt;guid&gt;</c> into the
/// environment of what it launches, children inherit it, and <c>/proc/*/environ</c> shows it. Zombies do not count
/// (their environment is gone and they hold nothing: only a missing reaper keeps them listed).
/// </summary>
internal static class TaggedProcesses
{
    public const string Variable = "MESHDEV_TEST_TAG";

    public static string NewTag() => Guid.NewGuid().ToString("N");

    public static IReadOnlyList<TaggedProcess> Find(string tag)
    {
        var needle = Encoding.UTF8.GetBytes($"{Variable}={tag}");
        var found = new List<TaggedProcess>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            byte[] environment;
            try
            {
                environment = File.ReadAllBytes(Path.Combine(directory, "environ"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // gone meanwhile
            }

            if (HasEntry(environment, needle) && IsRunning(pid))
            {
                found.Add(new TaggedProcess(pid, CommandLine(pid)));
            }
        }

        return found;
    }

    /// <summary>Waits (generously) until no process carries the tag; returns what is still left when the wait ends.</summary>
    public static async Task<IReadOnlyList<TaggedProcess>> WaitUntilNoneAsync(string tag, TimeSpan? timeout = null)
    {
        try
        {
            await Eventually.UntilAsync(() => Find(tag).Count == 0, $"no process tagged {tag}", timeout);
            return [];
        }
        catch (TimeoutException)
        {
            return Find(tag);
        }
    }

    /// <summary>SIGKILLs every process with the tag (cleanup after a failure); returns what it killed.</summary>
    public static IReadOnlyList<TaggedProcess> KillAll(string tag)
    {
        var found = Find(tag);
        foreach (var process in found)
        {
            Kill(process.Pid);
        }

        return found;
    }

    /// <summary>True when the process exists and is not a zombie.</summary>
    public static bool IsRunning(int pid) => MeshDev.Runtime.UnixProcess.IsAlive(pid);

    public static void Kill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "?";
        }
    }

    private static bool HasEntry(byte[] environment, byte[] entry)
    {
        // Entries are NUL-separated; match a whole entry, not a prefix of a longer value.
        var span = environment.AsSpan();
        while (span.Length > 0)
        {
            var end = span.IndexOf((byte)0);
            var current = end < 0 ? span : span[..end];
            if (current.SequenceEqual(entry))
            {
                return true;
            }

            span = end < 0 ? [] : span[(end + 1)..];
        }

        return false;
    }
}
