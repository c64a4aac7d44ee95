using System.Net;
using System.Net.Sockets;
using MeshDev.Calls;
using MeshDev.Runtime;

namespace MeshDev.Core.Tests.Calls;

/// <summary>The kernel's sock_diag answers, for one loopback connection, with the cgroup and inode of the client's socket.</summary>
public sealed class SocketDiagnosticsTests
{
    [Fact]
    public async Task A_client_socket_is_found_by_its_two_ends_with_the_cgroup_of_the_process_that_made_it()
    {
        using var diagnostics = SocketDiagnostics.TryOpen();
        Assert.NotNull(diagnostics);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
        using var server = await listener.AcceptSocketAsync();

        // As the mesh sees it: the connection's remote end is the client's own end.
        Assert.True(diagnostics.TryFind((IPEndPoint)server.RemoteEndPoint!, (IPEndPoint)server.LocalEndPoint!, out var cgroupId, out var inode));

        Assert.Equal(Cgroup.IdOf(Cgroup.OwnDirectory()!), cgroupId);
        Assert.NotEqual(0UL, inode);
        Assert.Contains(inode, ProcNetTcp.Read(new HashSet<int> { ((IPEndPoint)client.LocalEndPoint!).Port }).Select(s => s.Inode));
    }

    [Fact]
    public void A_socket_that_does_not_exist_is_not_found()
    {
        using var diagnostics = SocketDiagnostics.TryOpen()!;

        Assert.False(diagnostics.TryFind(new IPEndPoint(IPAddress.Loopback, 1), new IPEndPoint(IPAddress.Loopback, 2), out _, out _));
    }
}
