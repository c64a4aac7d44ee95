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

    /// <summary>Reads the start of <c>/proc/PID/stat</c> into a buffer on the stack: this runs for every process of the machine.</summary>
    private static int? TryReadParent(int pid)
    {
        Span<byte> stat = stackalloc byte[512]; // "pid (comm) state ppid": comm is at most 16 bytes, so the parent is well within
        int length;
        try
        {
            using var handle = File.OpenHandle($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            length = RandomAccess.Read(handle, stat, 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // comm may hold spaces and parentheses, so start after the last ')'.
        var rest = stat[..length];
        rest = rest[(rest.LastIndexOf((byte)')') + 1)..].TrimStart((byte)' ');
        var afterState = rest.IndexOf((byte)' ');
        if (afterState < 0)
        {
            return null;
        }

        rest = rest[(afterState + 1)..];
        var end = rest.IndexOf((byte)' ');
        return int.TryParse(end < 0 ? rest : rest[..end], NumberStyles.None, CultureInfo.InvariantCulture, out var parent) ? parent : null;
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
