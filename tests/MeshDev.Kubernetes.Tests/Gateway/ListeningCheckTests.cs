using System.Net;
using System.Net.Sockets;
using MeshDev.Gateway;
using MeshDev.Testing;
using Microsoft.Extensions.Time.Testing;

namespace MeshDev.Kubernetes.Tests.Gateway;

/// <summary>The gateway's postStart hook (<c>meshdev-gateway --wait-listening</c>) reads the pod's socket table.</summary>
public sealed class ListeningCheckTests
{
    private static string Table() => File.ReadAllText("/proc/net/tcp");

    [Fact]
    public void The_socket_table_names_the_ports_listening_on_127_0_0_1_and_not_those_on_other_addresses()
    {
        var (loopback, any) = (TestPorts.Free(), TestPorts.Free());
        using var onLoopback = Listen(IPAddress.Loopback, loopback);
        using var onAny = Listen(IPAddress.Any, any);

        var listening = ListeningCheck.LoopbackListeners(Table()).ToHashSet();

        Assert.Contains(loopback, listening);
        Assert.DoesNotContain(any, listening);
    }

    [Fact]
    public async Task The_hook_returns_once_every_mesh_port_and_the_link_port_listen()
    {
        var (link, mesh) = (TestPorts.Free(), TestPorts.Free());
        var settings = new GatewaySettings("orders", "orders-1", link, new Dictionary<int, string> { [mesh] = "users" });
        using var linkListener = Listen(IPAddress.Loopback, link);

        var waiting = ListeningCheck.WaitAsync(settings, Table, TimeProvider.System, CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        using var meshListener = Listen(IPAddress.Loopback, mesh);

        Assert.Empty(await waiting);
    }

    [Fact]
    public async Task The_hook_gives_up_at_its_limit_naming_the_ports_that_never_listened()
    {
        var (link, mesh) = (TestPorts.Free(), TestPorts.Free());
        var settings = new GatewaySettings("orders", "orders-1", link, new Dictionary<int, string> { [mesh] = "users" });
        using var linkListener = Listen(IPAddress.Loopback, link);
        var time = new FakeTimeProvider();

        // The first read happens before WaitAsync returns, and so does its wait's timer: the clock may move at once.
        var waiting = ListeningCheck.WaitAsync(settings, Table, time, CancellationToken.None);
        time.Advance(ListeningCheck.Limit);

        Assert.Equal([mesh], await waiting);
    }

    private static TcpListener Listen(IPAddress address, int port)
    {
        var listener = new TcpListener(address, port);
        listener.Start();
        return listener;
    }
}
