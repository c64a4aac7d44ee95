using System.Net;
using System.Net.Sockets;

namespace MeshDev.Runtime.Tests;

public sealed class PortsTests
{
    [Fact]
    public async Task Free_port_can_be_bound_and_is_not_listening()
    {
        var port = Ports.GetFreePort();

        Assert.InRange(port, 1024, 65535);
        Assert.True(Ports.CanBind(port));
        Assert.False(await Ports.IsListeningAsync(port, CancellationToken.None));
    }

    [Fact]
    public async Task Free_service_port_is_below_the_ephemeral_range_and_can_be_bound()
    {
        var port = Ports.GetFreeServicePort();

        // Only a system whose ephemeral range starts too low for a range below it gets a port the OS picked.
        var ephemeralStart = Ports.ReadEphemeralStart();
        if (ephemeralStart - Ports.ServicePortsStart >= 1000)
        {
            Assert.InRange(port, Ports.ServicePortsStart, ephemeralStart - 1);
        }

        Assert.True(Ports.CanBind(port));
        Assert.False(await Ports.IsListeningAsync(port, CancellationToken.None));
    }

    [Theory]
    [InlineData("32768\t60999\n", 32768)]
    [InlineData("1024 65535", 1024)]
    [InlineData("", null)]
    [InlineData("ports 1", null)]
    [InlineData("70000 80000", null)]
    public void Ephemeral_range_start_is_read_from_ip_local_port_range(string text, int? start) =>
        Assert.Equal(start, Ports.ParseEphemeralStart(text));

    [Fact]
    public void Free_service_port_is_never_a_reserved_one()
    {
        // Every port of the range but one reserved: the pick is that one, or (when the random tries miss it) one the OS
        // picked, which lies above the range; never a reserved port.
        var ephemeralStart = Ports.ReadEphemeralStart();
        var reserved = Enumerable.Range(Ports.ServicePortsStart, Math.Max(0, ephemeralStart - Ports.ServicePortsStart)).Where(p => p != ephemeralStart - 1).ToHashSet();

        var port = Ports.GetFreeServicePort(reserved);

        Assert.DoesNotContain(port, reserved);
        Assert.True(Ports.CanBind(port));
    }

    [Fact]
    public async Task Port_with_a_listener_is_listening_and_cannot_be_bound()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        Assert.True(await Ports.IsListeningAsync(port, CancellationToken.None));
        Assert.False(Ports.CanBind(port));
    }

    [Fact]
    public async Task Port_bound_without_a_listener_is_not_listening()
    {
        // Held by this socket, so no other program can start listening there while the test looks (a port freed by the
        // test could be taken by a parallel test at once).
        using var bound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        bound.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        Assert.False(await Ports.IsListeningAsync(((IPEndPoint)bound.LocalEndPoint!).Port, CancellationToken.None));
    }

    [Fact]
    public async Task Port_with_a_wildcard_listener_cannot_be_bound_on_loopback()
    {
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        Assert.False(Ports.CanBind(port));
        Assert.True(await Ports.IsListeningAsync(port, CancellationToken.None));
    }
}
