using System.Globalization;
using System.Text;

namespace MeshDev.Runtime;

/// <summary>
/// Finds processes by a marker in their environment (<c>/proc/{pid}/environ</c>): every process a service starts
/// inherits the service's environment whatever it does to its session or group, and the marker is still there to be
/// found after the daemon that launched it was killed. Only a process that replaces its whole environment on purpose
/// (<c>env -i</c>) loses it; the cgroup, where there is one, catches those.
/// </summary>
internal static class MarkedProcesses
{
    /// <summary>Set in every service's environment: this mesh's id (<see cref="MeshIdentity"/>).</summary>
    public const string MeshVariable = "MESHDEV_MESH_ID";

    /// <summary>Set in every service's environment: the id of that one launch, so that one instance's leftovers can be told from another's.</summary>
    public const string InstanceVariable = "MESHDEV_INSTANCE_ID";

    /// <summary>How many times <see cref="Kill"/> looks again for processes forked while it was stopping the ones it had found.</summary>
    private const int MaxPasses = 20;

    public static string Entry(string variable, string value) => $"{variable}={value}";

    /// <summary>Live processes whose environment holds <paramref name="entry"/> (<c>NAME=value</c>, matched whole), except <paramref name="spare"/>.</summary>
    public static List<int> Find(string entry, IReadOnlySet<int> spare)
    {
        var needle = Encoding.UTF8.GetBytes(entry);
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || spare.Contains(pid))
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
                // Gone meanwhile, or another user's (which we could not signal anyway).
                continue;
            }

            // A zombie's environment reads empty, so the dead never match.
            if (HasEntry(environment, needle))
            {
                found.Add(pid);
            }
        }

        return found;
    }

    /// <summary>
    /// SIGKILLs every process carrying <paramref name="entry"/>, except <paramref name="spare"/>. Each one found is first
    /// stopped (SIGSTOP), so that it cannot fork while the search goes on; the search is repeated until it finds no
    /// new one, then all are killed. Returns the pids killed.
    /// </summary>
    public static IReadOnlyCollection<int> Kill(string entry, IReadOnlySet<int> spare)
    {
        var seen = new HashSet<int>();
        var stopped = new List<int>();
        for (var pass = 0; pass < MaxPasses; pass++)
        {
            var fresh = Find(entry, spare).Where(seen.Add).ToList();
            if (fresh.Count == 0)
            {
                break;
            }

            stopped.AddRange(fresh.Where(pid => UnixProcess.SignalProcess(pid, UnixProcess.SigStop)));
        }

        foreach (var pid in stopped)
        {
            UnixProcess.SignalProcess(pid, UnixProcess.SigKill);
        }

        return stopped;
    }

    private static bool HasEntry(ReadOnlySpan<byte> environment, ReadOnlySpan<byte> entry)
    {
        // Entries are NUL-separated: match a whole entry, never the prefix of a longer value.
        while (environment.Length > 0)
        {
            var end = environment.IndexOf((byte)0);
            var current = end < 0 ? environment : environment[..end];
            if (current.SequenceEqual(entry))
            {
                return true;
            }

            environment = end < 0 ? [] : environment[(end + 1)..];
        }

        return false;
    }
}
