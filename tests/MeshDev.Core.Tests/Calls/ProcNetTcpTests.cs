using System.Net;

namespace MeshDev.Calls.Tests;

/// <summary>Lines of /proc/net/tcp and /proc/net/tcp6 as the kernel writes them (addresses in the machine's byte order).</summary>
public sealed class ProcNetTcpTests
{
    [Fact]
    public void An_ipv4_line_gives_both_ends_the_state_and_the_inode()
    {
        var socket = ProcNetTcp.TryParse("   1: 0100007F:9C27 0100007F:3AFC 01 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 20 4 30 10 -1");

        Assert.NotNull(socket);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 0x9C27), socket.Local);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 15100), socket.Remote);
        Assert.Equal(ProcNetTcp.Established, socket.State);
        Assert.Equal(4242UL, socket.Inode);
    }

    [Fact]
    public void An_ipv4_mapped_ipv6_address_is_given_as_ipv4_and_plain_ipv6_stays_ipv6()
    {
        var mapped = ProcNetTcp.TryParse("   0: 0000000000000000FFFF00000100007F:AB74 0000000000000000FFFF00000100007F:3AFC 01 00000000:00000000 00:00000000 00000000     0        0 77 1");
        var loopback6 = ProcNetTcp.TryParse("   1: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 78 1");

        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 0xAB74), mapped!.Local);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 8080), loopback6!.Local);
        Assert.Equal(ProcNetTcp.Listen, loopback6.State);
    }

    [Theory]
    [InlineData("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode")]
    [InlineData("")]
    [InlineData("   1: nonsense")]
    public void Headers_and_other_lines_are_skipped(string line) => Assert.Null(ProcNetTcp.TryParse(line));

    [Fact]
    public void This_machines_table_lists_a_socket_this_test_listens_on()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        Assert.Contains(ProcNetTcp.Read(), s => s.State == ProcNetTcp.Listen && s.Local.Equals(new IPEndPoint(IPAddress.Loopback, port)) && s.Inode != 0);
    }
}
