using System.Globalization;

namespace MeshDev.Runtime;

/// <summary>
/// A cgroup (v2) directory MeshDev made: a mesh's (<c>meshdev-{meshId}</c>, inside the cgroup the daemon runs in) or one
/// service instance's inside that. Whatever a process does to its session or group (setsid, setpgid, double fork), it
/// stays in its cgroup and so do its children: writing <c>cgroup.kill</c> kills them all, also after the daemon died.
/// </summary>
internal sealed partial class Cgroup
{
    private const string MeshPrefix = "meshdev-";

    /// <summary>How long <see cref="RemoveAsync"/> waits for killed processes to be gone before it leaves the directory in place.</summary>
    private static readonly TimeSpan EmptyTimeout = TimeSpan.FromSeconds(5);

    private Cgroup(string path)
    {
        Path = path;
    }

    /// <summary>The directory in the cgroup file system.</summary>
    public string Path { get; }

    /// <summary>
    /// The cgroup's id, as the kernel reports it for the sockets its processes create (sock_diag): the inode number of
    /// its directory; null where it cannot be read.
    /// </summary>
    public ulong? Id => IdOf(Path);

    /// <summary>The id of the cgroup v2 directory <paramref name="path"/> (its inode number); null when it cannot be read.</summary>
    internal static unsafe ulong? IdOf(string path)
    {
        // struct stat begins with st_dev and st_ino, both 64-bit, on the 64-bit Linux ABIs .NET runs on.
        var buffer = stackalloc byte[512];
        return OperatingSystem.IsLinux() && Stat(path, buffer) == 0 ? *(ulong*)(buffer + 8) : null;
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "stat", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    private static unsafe partial int Stat(string path, byte* buffer);

    /// <summary>Writing a pid here moves that process (not yet its existing children) into this cgroup.</summary>
    public string ProcessesFile => System.IO.Path.Combine(Path, "cgroup.procs");

    /// <summary>
    /// Creates (or takes over) the mesh's cgroup inside the one this process runs in: root may do that anywhere, a user
    /// in the subtree systemd delegates to them (a desktop session's apps). Null, with the reason, where not: no
    /// cgroup v2 hierarchy, or a cgroup owned by someone else (an ssh session's scope).
    /// </summary>
    public static Cgroup? TryCreateForMesh(string meshId, out string? problem)
    {
        var own = OwnDirectory();
        if (own is null)
        {
            problem = "no cgroup v2 hierarchy is mounted";
            return null;
        }

        var path = System.IO.Path.Combine(own, MeshPrefix + meshId);
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot create {path}: {e.Message}";
            return null;
        }

        // A directory without cgroup.procs is not a cgroup: what looked like the hierarchy was something else.
        if (!File.Exists(System.IO.Path.Combine(path, "cgroup.procs")))
        {
            problem = $"{path} is not a cgroup";
            return null;
        }

        problem = null;
        return new Cgroup(path);
    }

    /// <summary>
    /// The mesh cgroup recorded at <paramref name="path"/> by an earlier run, if it still exists and is what it claims to
    /// be (named after this mesh, inside a cgroup v2 hierarchy), so that a stale or edited record kills nothing else.
    /// </summary>
    public static Cgroup? TryOpenForMesh(string path, string meshId)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (System.IO.Path.GetFileName(full) != MeshPrefix + meshId
            || !File.Exists(System.IO.Path.Combine(full, "cgroup.procs"))
            || !UnifiedMounts().Any(m => full.StartsWith(m.MountPoint.TrimEnd('/') + "/", StringComparison.Ordinal)))
        {
            return null;
        }

        return new Cgroup(full);
    }

    /// <summary>A new cgroup inside this one; null when it cannot be made.</summary>
    public Cgroup? TryCreateChild(string name)
    {
        var path = System.IO.Path.Combine(Path, name);
        try
        {
            Directory.CreateDirectory(path);
            return new Cgroup(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Every process in this cgroup and the ones below it.</summary>
    public List<int> Processes()
    {
        var pids = new List<int>();
        foreach (var directory in SelfAndBelow())
        {
            try
            {
                foreach (var line in File.ReadLines(System.IO.Path.Combine(directory, "cgroup.procs")))
                {
                    if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                    {
                        pids.Add(pid);
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Removed meanwhile.
            }
        }

        return pids;
    }

    /// <summary>True while any process is in this cgroup or below it.</summary>
    public bool IsPopulated()
    {
        try
        {
            return File.ReadLines(System.IO.Path.Combine(Path, "cgroup.events")).Contains("populated 1");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Moves process <paramref name="pid"/> (all its threads, not yet its children) into this cgroup; false when refused or gone.</summary>
    public bool TryAdd(int pid) => TryWrite(ProcessesFile, pid.ToString(CultureInfo.InvariantCulture));

    /// <summary>SIGKILLs every process in this cgroup and below it.</summary>
    public void Kill()
    {
        var kill = System.IO.Path.Combine(Path, "cgroup.kill");
        if (File.Exists(kill) && TryWrite(kill, "1"))
        {
            return;
        }

        // Kernels before 5.14 have no cgroup.kill: signal the members one by one until none is left to fork more.
        for (var pass = 0; pass < 20; pass++)
        {
            var members = Processes();
            if (members.Count == 0)
            {
                return;
            }

            members.ForEach(pid => UnixProcess.SignalProcess(pid, UnixProcess.SigKill));
        }
    }

    /// <summary>
    /// Waits (briefly) until the processes killed here are gone, then removes this cgroup and the ones below it.
    /// False when something is still in it: the directory stays, and a later cleanup takes it.
    /// </summary>
    public async Task<bool> RemoveAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        var waited = TimeSpan.Zero;
        var delay = TimeSpan.FromMilliseconds(1);
        while (IsPopulated() && waited < EmptyTimeout)
        {
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            waited += delay;
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMilliseconds(50).Ticks));
        }

        return TryRemove();
    }

    /// <summary>Removes this cgroup and the ones below it, deepest first, if nothing is in them. False when one stays.</summary>
    public bool TryRemove()
    {
        var removed = true;
        foreach (var directory in SelfAndBelow().Reverse())
        {
            try
            {
                // rmdir: a cgroup's control files are not files to delete, the directory goes as a whole.
                Directory.Delete(directory, recursive: false);
            }
            catch (DirectoryNotFoundException)
            {
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                removed = false;
            }
        }

        return removed;
    }

    /// <summary>The cgroup v2 directory this process is in: its <c>0::</c> line of /proc/self/cgroup, inside the unified mount.</summary>
    internal static string? OwnDirectory()
    {
        string? relative;
        try
        {
            relative = File.ReadLines("/proc/self/cgroup").FirstOrDefault(l => l.StartsWith("0::", StringComparison.Ordinal))?[3..];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        if (relative is null || !relative.StartsWith('/'))
        {
            return null;
        }

        foreach (var (root, mountPoint) in UnifiedMounts())
        {
            // The mount shows the hierarchy from its root down (inside a cgroup namespace, usually the namespace's root).
            var below = root == "/" ? relative : relative.StartsWith(root + "/", StringComparison.Ordinal) || relative == root ? relative[root.Length..] : null;
            if (below is not null)
            {
                var directory = System.IO.Path.Join(mountPoint, below.TrimStart('/'));
                if (Directory.Exists(directory))
                {
                    return directory;
                }
            }
        }

        return null;
    }

    /// <summary>Every cgroup2 mount (root inside the hierarchy, mount point): /sys/fs/cgroup on a unified system, /sys/fs/cgroup/unified in hybrid mode.</summary>
    private static List<(string Root, string MountPoint)> UnifiedMounts()
    {
        var mounts = new List<(string, string)>();
        try
        {
            // mountinfo: "id parent major:minor root mountpoint options [optional fields] - fstype source superoptions".
            foreach (var line in File.ReadLines("/proc/self/mountinfo"))
            {
                var fields = line.Split(' ');
                var separator = Array.IndexOf(fields, "-");
                if (separator > 4 && separator + 1 < fields.Length && fields[separator + 1] == "cgroup2")
                {
                    mounts.Add((Unescape(fields[3]), Unescape(fields[4])));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return mounts;
    }

    // mountinfo writes space, tab, newline and backslash as \ooo octal.
    private static string Unescape(string field) => !field.Contains('\\', StringComparison.Ordinal) ? field : field
        .Replace("\\040", " ", StringComparison.Ordinal)
        .Replace("\\011", "\t", StringComparison.Ordinal)
        .Replace("\\012", "\n", StringComparison.Ordinal)
        .Replace("\\134", "\\", StringComparison.Ordinal);

    private IEnumerable<string> SelfAndBelow()
    {
        IEnumerable<string> below;
        try
        {
            below = Directory.EnumerateDirectories(Path, "*", SearchOption.AllDirectories).OrderBy(d => d.Length).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            below = [];
        }

        return below.Prepend(Path);
    }

    private static bool TryWrite(string path, string value)
    {
        try
        {
            // Control files are written, never created or truncated.
            using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
            file.Write(System.Text.Encoding.ASCII.GetBytes(value));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
