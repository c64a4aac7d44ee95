using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace MeshDev.Calls;

/// <summary>
/// Asks the kernel (netlink <c>sock_diag</c>, as <c>ss</c> does) about one TCP socket, by its two ends: the cgroup it was
/// created in (cgroup v2 id, which is the inode of that cgroup's directory) and its inode. One request and one answer,
/// a few microseconds, whatever else runs on the machine — unlike a scan of <c>/proc/net/tcp</c> and of every process's
/// descriptors. Linux only; one request at a time.
/// </summary>
internal sealed partial class SocketDiagnostics : IDisposable
{
    private const int AfNetlink = 16;
    private const int SockDgram = 2;
    private const int SockCloexec = 0x80000;
    private const int NetlinkSockDiag = 4;
    private const ushort SockDiagByFamily = 20;
    private const ushort NlmFRequest = 1;
    private const ushort NlmsgError = 2;
    private const ushort InetDiagCgroupId = 21;
    private const int HeaderLength = 16;
    private const int RequestLength = HeaderLength + 56;
    private const int MessageLength = 72;

    private readonly Lock _gate = new();
    private readonly byte[] _response = new byte[8192];
    private readonly int _socket;
    private uint _sequence;

    private SocketDiagnostics(int socket) => _socket = socket;

    /// <summary>A netlink socket for the queries, or null where there is none (not Linux, or the kernel refuses).</summary>
    public static SocketDiagnostics? TryOpen()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var socket = Socket(AfNetlink, SockDgram | SockCloexec, NetlinkSockDiag);
        return socket < 0 ? null : new SocketDiagnostics(socket);
    }

    /// <summary>The cgroup id and inode of the TCP socket whose own end is <paramref name="local"/> and whose peer is <paramref name="remote"/>; false when the kernel knows none (it closed meanwhile).</summary>
    public unsafe bool TryFind(IPEndPoint local, IPEndPoint remote, out ulong cgroupId, out ulong inode)
    {
        cgroupId = 0;
        inode = 0;
        if (local.AddressFamily != AddressFamily.InterNetwork || remote.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        Span<byte> request = stackalloc byte[RequestLength];
        request.Clear();
        lock (_gate)
        {
            var sequence = ++_sequence;
            BinaryPrimitives.WriteUInt32LittleEndian(request, RequestLength);
            BinaryPrimitives.WriteUInt16LittleEndian(request[4..], SockDiagByFamily);
            BinaryPrimitives.WriteUInt16LittleEndian(request[6..], NlmFRequest);
            BinaryPrimitives.WriteUInt32LittleEndian(request[8..], sequence);
            // struct inet_diag_req_v2: family, protocol, extensions, pad, states; then struct inet_diag_sockid.
            request[16] = (byte)AddressFamily.InterNetwork;
            request[17] = (byte)ProtocolType.Tcp;
            BinaryPrimitives.WriteUInt32LittleEndian(request[20..], uint.MaxValue);
            WriteSocketId(request[24..], local, remote);
            fixed (byte* buffer = request)
            {
                if (Send(_socket, buffer, RequestLength, 0) != RequestLength)
                {
                    return false;
                }
            }

            nint received;
            fixed (byte* buffer = _response)
            {
                received = Receive(_socket, buffer, _response.Length, 0);
            }

            return received >= HeaderLength && Parse(_response.AsSpan(0, (int)received), sequence, out cgroupId, out inode);
        }
    }

    private static void WriteSocketId(Span<byte> id, IPEndPoint local, IPEndPoint remote)
    {
        // Ports and addresses in network order; the cookie "none" (all ones) asks for an exact match by the ends.
        BinaryPrimitives.WriteUInt16BigEndian(id, (ushort)local.Port);
        BinaryPrimitives.WriteUInt16BigEndian(id[2..], (ushort)remote.Port);
        local.Address.TryWriteBytes(id[4..], out _);
        remote.Address.TryWriteBytes(id[20..], out _);
        BinaryPrimitives.WriteUInt32LittleEndian(id[40..], uint.MaxValue);
        BinaryPrimitives.WriteUInt32LittleEndian(id[44..], uint.MaxValue);
    }

    private static bool Parse(ReadOnlySpan<byte> response, uint sequence, out ulong cgroupId, out ulong inode)
    {
        cgroupId = 0;
        inode = 0;
        var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(response);
        var type = BinaryPrimitives.ReadUInt16LittleEndian(response[4..]);
        if (type == NlmsgError || BinaryPrimitives.ReadUInt32LittleEndian(response[8..]) != sequence || length > response.Length || length < HeaderLength + MessageLength)
        {
            return false;
        }

        // struct inet_diag_msg: family, state, timer, retrans, sockid (48), expires, rqueue, wqueue, uid, inode.
        var message = response[HeaderLength..length];
        inode = BinaryPrimitives.ReadUInt32LittleEndian(message[68..]);
        var attributes = message[MessageLength..];
        while (attributes.Length >= 4)
        {
            var attributeLength = BinaryPrimitives.ReadUInt16LittleEndian(attributes);
            var attributeType = BinaryPrimitives.ReadUInt16LittleEndian(attributes[2..]);
            if (attributeLength < 4 || attributeLength > attributes.Length)
            {
                break;
            }

            if (attributeType == InetDiagCgroupId && attributeLength >= 12)
            {
                cgroupId = BinaryPrimitives.ReadUInt64LittleEndian(attributes[4..]);
                return true;
            }

            attributes = attributes[Math.Min(attributes.Length, (attributeLength + 3) & ~3)..];
        }

        return inode != 0;
    }

    public void Dispose() => _ = Close(_socket);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static unsafe partial nint Send(int socket, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static unsafe partial nint Receive(int socket, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int socket);
}
