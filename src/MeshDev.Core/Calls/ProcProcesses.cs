using System.Globalization;
using System.Runtime.InteropServices;

namespace MeshDev.Calls;

/// <summary>The processes of this machine as <c>/proc</c> shows them (Linux): their parents and the sockets they hold.</summary>
internal static partial class ProcProcesses
{
    /// <summary>Every visible process and its parent (field 4 of <c>/proc/PID/stat</c>).</summary>
    public static Dictionary<int, int> Parents()
    {
        var parents = new Dictionary<int, int>();
        foreach (var pid in All())
        {
            if (TryReadParent(pid) is { } parent)
            {
                parents[pid] = parent;
            }
        }

        return parents;
    }

    public static IEnumerable<int> All()
    {
        foreach (var directory in SafeEnumerate("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory.AsSpan()), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                yield return pid;
            }
        }
    }

    /// <summary>The inodes of the sockets <paramref name="pid"/> holds (its descriptors that link to <c>socket:[N]</c>); none when it is gone or not ours.</summary>
    public static IEnumerable<ulong> SocketInodes(int pid)
    {
        foreach (var fd in SafeEnumerate($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/fd"))
        {
            if (TryReadSocketInode(fd) is { } inode)
            {
                yield return inode;
            }
        }
    }

    /// <summary>The roots and every process below them (by <paramref name="parents"/>, from <see cref="Parents"/>).</summary>
    public static List<int> Descendants(IEnumerable<int> roots, Dictionary<int, int> parents)
    {
        var children = parents.ToLookup(p => p.Value, p => p.Key);
        var found = new List<int>();
        var seen = new HashSet<int>();
        var queue = new Queue<int>(roots);
        while (queue.TryDequeue(out var pid))
        {
            if (!seen.Add(pid))
            {
                continue;
            }

            found.Add(pid);
            foreach (var child in children[pid])
            {
                queue.Enqueue(child);
            }
        }

        return found;
    }

    /// <summary>Which of <paramref name="processes"/> holds each socket inode (the first found); stops once all are found.</summary>
    public static Dictionary<ulong, int> FindOwners(HashSet<ulong> inodes, IEnumerable<int> processes)
    {
        var owners = new Dictionary<ulong, int>();
        foreach (var pid in processes)
        {
            foreach (var inode in SocketInodes(pid))
            {
                if (inodes.Contains(inode) && owners.TryAdd(inode, pid) && owners.Count == inodes.Count)
                {
                    return owners;
                }
            }
        }

        return owners;
    }

    /// <summary>The state letter of <c>/proc/PID/stat</c> (R, S, D, T stopped by a signal, t stopped by a debugger, Z…); null when it is gone.</summary>
    public static char? State(int pid) => TryReadStatStart(pid, out var state, out _) ? state : null;

    /// <summary>
    /// The CPU time <paramref name="pid"/> has used so far, user and system (fields 14 and 15 of <c>/proc/PID/stat</c>), in
    /// clock ticks (<see cref="ClockTicksPerSecond"/>); null when it is gone.
    /// </summary>
    public static long? CpuTicks(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // After comm (which may hold spaces and parentheses), the first field is field 3, so fields 14 and 15 are [11] and [12].
        var fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 12
            && long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out var user)
            && long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out var system)
                ? user + system
                : null;
    }

    /// <summary>The unit of <see cref="CpuTicks"/>: USER_HZ, which the kernel fixes at 100 for /proc on every architecture .NET runs on.</summary>
    public const int ClockTicksPerSecond = 100;

    /// <summary>The pid of the process tracing <paramref name="pid"/> (a ptrace debugger: gdb, lldb, delve), 0 when none; null when unknown.</summary>
    public static int? TracerPid(int pid)
    {
        const string Field = "TracerPid:";
        foreach (var line in ReadLinesOrEmpty($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
        {
            if (line.StartsWith(Field, StringComparison.Ordinal))
            {
                return int.TryParse(line.AsSpan(Field.Length).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var tracer) ? tracer : null;
            }
        }

        return null;
    }

    /// <summary>The command line of <paramref name="pid"/>, its arguments joined by spaces; null when it is gone, not ours, or a kernel thread.</summary>
    public static string? CommandLine(int pid)
    {
        var arguments = ReadNulSeparated($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline");
        return arguments.Count == 0 ? null : string.Join(' ', arguments);
    }

    /// <summary>The value of one variable of the environment <paramref name="pid"/> was started with; null when unset or not ours to read.</summary>
    public static string? EnvironmentVariable(int pid, string name)
    {
        var prefix = name + "=";
        return ReadNulSeparated($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/environ")
            .FirstOrDefault(entry => entry.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..];
    }

    private static List<string> ReadNulSeparated(string path)
    {
        try
        {
            return [.. File.ReadAllText(path).Split('\0', StringSplitOptions.RemoveEmptyEntries)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static string[] ReadLinesOrEmpty(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static int? TryReadParent(int pid) => TryReadStatStart(pid, out _, out var parent) ? parent : null;

    /// <summary>Reads the start of <c>/proc/PID/stat</c> into a buffer on the stack: this runs for every process of the machine.</summary>
    private static bool TryReadStatStart(int pid, out char state, out int parent)
    {
        state = default;
        parent = 0;
        Span<byte> stat = stackalloc byte[512]; // "pid (comm) state ppid": comm is at most 16 bytes, so the parent is well within
        int length;
        try
        {
            using var handle = File.OpenHandle($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            length = RandomAccess.Read(handle, stat, 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        // comm may hold spaces and parentheses, so start after the last ')'.
        var rest = stat[..length];
        rest = rest[(rest.LastIndexOf((byte)')') + 1)..].TrimStart((byte)' ');
        var afterState = rest.IndexOf((byte)' ');
        if (afterState != 1)
        {
            return false;
        }

        state = (char)rest[0];
        rest = rest[(afterState + 1)..];
        var end = rest.IndexOf((byte)' ');
        return int.TryParse(end < 0 ? rest : rest[..end], NumberStyles.None, CultureInfo.InvariantCulture, out parent);
    }

    /// <summary>Reads the link into a buffer on the stack: a process has hundreds of descriptors, and this runs over many.</summary>
    private static unsafe ulong? TryReadSocketInode(string fd)
    {
        const int Size = 64; // "socket:[" + 20 digits + "]" at most
        var buffer = stackalloc byte[Size];
        var length = (int)ReadLink(fd, buffer, Size);
        var link = new ReadOnlySpan<byte>(buffer, Math.Max(0, length));
        var prefix = "socket:["u8;
        if (length <= prefix.Length + 1 || length >= Size || !link.StartsWith(prefix) || link[^1] != (byte)']')
        {
            return null;
        }

        ulong inode = 0;
        foreach (var digit in link[prefix.Length..^1])
        {
            if (digit is < (byte)'0' or > (byte)'9')
            {
                return null;
            }

            inode = (inode * 10) + (ulong)(digit - '0');
        }

        return inode;
    }

    /// <summary>The entries of a /proc directory; empty when the process is gone or not ours to look into.</summary>
    private static IEnumerable<string> SafeEnumerate(string directory)
    {
        IEnumerator<string> entries;
        try
        {
            entries = Directory.EnumerateFileSystemEntries(directory).GetEnumerator();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }

        using (entries)
        {
            while (true)
            {
                try
                {
                    if (!entries.MoveNext())
                    {
                        yield break;
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    yield break;
                }

                yield return entries.Current;
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "readlink", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial nint ReadLink(string path, byte* buffer, nint size);
}
