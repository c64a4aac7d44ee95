using System.Net;
using System.Net.Sockets;

namespace MeshDev.Calls.Tests;

/// <summary>The caller of a connection, found through the kernel's socket tables and real processes' descriptors and parents.</summary>
public sealed class CallerResolverTests : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public CallerResolverTests() => _listener.Start();

    public void Dispose() => _listener.Dispose();

    [Fact]
    public async Task A_connection_from_a_services_process_is_that_services()
    {
        await using var child = await CallingProcess.BashAsync(_listener);

        var callers = new CallerResolver().Resolve([child.Connection], [CallerRoot.Process("orders", child.Pid)]);

        Assert.Equal(["orders"], callers);
    }

    [Fact]
    public async Task A_connection_from_a_child_of_a_services_process_is_that_services_too()
    {
        await using var child = await CallingProcess.BashAsync(_listener, nested: true);

        var callers = new CallerResolver().Resolve([child.Connection], [CallerRoot.Process("worker", 1_000_000_000), CallerRoot.Process("orders", child.Pid)]);

        Assert.Equal(["orders"], callers);
    }

    [Fact]
    public async Task A_stranger_that_connected_to_the_listener_first_is_not_taken_for_the_child()
    {
        // What a full test run does now and then: another process's connection arrives at this loopback port before the
        // child's (see CallingProcess). This one stays open and says nothing.
        using var stranger = new TcpClient();
        await stranger.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)_listener.LocalEndpoint).Port);
        await using var child = await CallingProcess.BashAsync(_listener, nested: true);

        var callers = new CallerResolver().Resolve([child.Connection], [CallerRoot.Process("orders", child.Pid)]);

        Assert.NotEqual(((IPEndPoint)stranger.Client.LocalEndPoint!).Port, child.Connection.Client.Port);
        Assert.Equal(["orders"], callers);
    }

    [Fact]
    public async Task A_connection_from_a_process_no_service_launched_is_external()
    {
        await using var stranger = await CallingProcess.BashAsync(_listener);
        await using var service = await CallingProcess.BashAsync(_listener);

        var callers = new CallerResolver().Resolve([stranger.Connection, service.Connection], [CallerRoot.Process("orders", service.Pid)]);

        Assert.Equal([CallGraph.External, "orders"], callers);
    }

    [Fact]
    public async Task A_connection_from_this_process_or_one_already_closed_is_external()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)_listener.LocalEndpoint).Port);
        using var accepted = await _listener.AcceptTcpClientAsync();
        var ours = ((IPEndPoint)accepted.Client.RemoteEndPoint!, (IPEndPoint)accepted.Client.LocalEndPoint!);
        var gone = (new IPEndPoint(IPAddress.Loopback, 1), ours.Item2);

        var callers = new CallerResolver().Resolve([ours, gone], [CallerRoot.Process("orders", 1_000_000_000)]);

        Assert.Equal([CallGraph.External, CallGraph.External], callers);
    }

    [Fact]
    public async Task A_connection_from_the_process_listening_on_an_external_services_port_is_that_services()
    {
        var (python, port) = await CallingProcess.ListeningPythonAsync(_listener);
        await using var _ = python;

        var callers = new CallerResolver().Resolve([python.Connection], [CallerRoot.Listener("ide-service", port)]);

        Assert.Equal(["ide-service"], callers);
    }
}
