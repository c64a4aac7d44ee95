using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;

namespace MeshDev.Calls;

/// <summary>One TCP socket of this network namespace, as <c>/proc/net/tcp</c> and <c>/proc/net/tcp6</c> list it.</summary>
/// <param name="Local">The socket's own address; IPv4-mapped IPv6 addresses are given as IPv4.</param>
/// <param name="Remote">The peer's address (any address and port 0 for a listening socket).</param>
/// <param name="State">The kernel's TCP state number (<see cref="ProcNetTcp.Listen"/>, <see cref="ProcNetTcp.Established"/>…).</param>
/// <param name="Inode">The socket's inode: what <c>/proc/PID/fd/N</c> links to as <c>socket:[inode]</c>; 0 once no process holds it.</param>
public sealed record TcpSocket(IPEndPoint Local, IPEndPoint Remote, int State, ulong Inode);

/// <summary>Reads the kernel's table of TCP sockets (Linux).</summary>
public static class ProcNetTcp
{
    public const int Established = 0x01;
    public const int Listen = 0x0A;

    /// <summary>
    /// The IPv4 and IPv6 TCP sockets of this network namespace whose own port is one of <paramref name="localPorts"/>
    /// (every socket when null); empty where there is no <c>/proc/net</c>. Other lines are skipped before they are parsed:
    /// a busy machine lists thousands.
    /// </summary>
    public static List<TcpSocket> Read(IReadOnlySet<int>? localPorts = null)
    {
        var sockets = new List<TcpSocket>();
        foreach (var path in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                var length = ReadAll(path, ref buffer);
                var table = buffer.AsSpan(0, length);
                var header = true;
                foreach (var range in table.Split((byte)'\n'))
                {
                    if (!header && TryParse(table[range], localPorts) is { } socket)
                    {
                        sockets.Add(socket);
                    }

                    header = false;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // No IPv6 in this kernel, or not Linux.
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        return sockets;
    }

    /// <summary>One line of the table (<c>sl local rem st tx:rx tr:when retrnsmt uid timeout inode …</c>); null when it is not a socket line.</summary>
    public static TcpSocket? TryParse(string line) => TryParse(Encoding.ASCII.GetBytes(line), localPorts: null);

    private static TcpSocket? TryParse(ReadOnlySpan<byte> line, IReadOnlySet<int>? localPorts)
    {
        Span<Range> fields = stackalloc Range[10];
        if (SplitFields(line, fields) < fields.Length
            || !TryParsePort(line[fields[1]], out var localPort)
            || (localPorts is not null && !localPorts.Contains(localPort))
            || TryParseEndPoint(line[fields[1]], localPort) is not { } local
            || !TryParsePort(line[fields[2]], out var remotePort)
            || TryParseEndPoint(line[fields[2]], remotePort) is not { } remote
            || !int.TryParse(line[fields[3]], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var state)
            || !ulong.TryParse(line[fields[9]], NumberStyles.None, CultureInfo.InvariantCulture, out var inode))
        {
            return null;
        }

        return new TcpSocket(local, remote, state, inode);
    }

    /// <summary>The first <paramref name="fields"/>.Length space-separated fields of <paramref name="line"/>; how many there were.</summary>
    private static int SplitFields(ReadOnlySpan<byte> line, Span<Range> fields)
    {
        var count = 0;
        var i = 0;
        while (count < fields.Length)
        {
            while (i < line.Length && line[i] == (byte)' ')
            {
                i++;
            }

            if (i == line.Length)
            {
                break;
            }

            var start = i;
            while (i < line.Length && line[i] != (byte)' ')
            {
                i++;
            }

            fields[count++] = start..i;
        }

        return count;
    }

    private static bool TryParsePort(ReadOnlySpan<byte> endPoint, out int port)
    {
        var colon = endPoint.IndexOf((byte)':');
        port = 0;
        return colon is 8 or 32 && int.TryParse(endPoint[(colon + 1)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out port);
    }

    /// <summary>
    /// <c>0100007F:1F90</c> or a 32-digit IPv6 address and a port, in hex. The kernel prints the address as 32-bit words
    /// in the machine's own byte order, so the bytes of each word, taken in that same order, are the address's bytes.
    /// </summary>
    private static IPEndPoint? TryParseEndPoint(ReadOnlySpan<byte> text, int port)
    {
        var digits = text.IndexOf((byte)':');
        Span<byte> bytes = stackalloc byte[digits / 2];
        for (var word = 0; word < digits / 8; word++)
        {
            if (!uint.TryParse(text.Slice(word * 8, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
            {
                return null;
            }

            BitConverter.TryWriteBytes(bytes.Slice(word * 4, 4), value);
        }

        var address = new IPAddress(bytes);
        return new IPEndPoint(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address, port);
    }

    /// <summary>Reads the whole file into <paramref name="buffer"/> (rented, replaced by a larger one when needed); /proc files have no length up front.</summary>
    private static int ReadAll(string path, ref byte[] buffer)
    {
        using var handle = File.OpenHandle(path);
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                buffer.AsSpan(0, length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }

            var read = RandomAccess.Read(handle, buffer.AsSpan(length), length);
            if (read == 0)
            {
                return length;
            }

            length += read;
        }
    }
}
