using System.Net.Sockets;
using System.Text;
using MeshDev.Activation;
using MeshDev.IntegrationTests.GrpcTests.Infrastructure;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.GrpcTests;

/// <summary>
/// A <c>protocol: tcp</c> service (a python3 echo server, tcp_echo.py) behind its mesh port: the first connection launches
/// it, bytes are piped both ways untouched, and a launch that fails closes the held connection at once.
/// </summary>
public sealed class TcpServiceTests
{
    [Fact]
    public async Task First_connection_to_a_cold_tcp_service_launches_it_and_gets_its_bytes_echoed()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.TcpEcho("echo"));

        var echoed = await EchoAsync(mesh.MeshPort("echo"), "hello over tcp\n");

        Assert.Equal("hello over tcp\n", echoed);
        Assert.Equal(ServiceState.Ready, mesh.Service("echo").State);
        Assert.Equal(1, mesh.Service("echo").Launches);
    }

    [Fact]
    public async Task Five_concurrent_first_connections_share_one_launch_and_each_gets_its_own_bytes()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.TcpEcho("echo"));

        var messages = Enumerable.Range(1, 5).Select(i => $"connection {i}: {new string((char)('a' + i), 1000 * i)}\n").ToArray();
        var echoes = await Task.WhenAll(messages.Select(message => EchoAsync(mesh.MeshPort("echo"), message)));

        Assert.Equal(messages, echoes);
        Assert.Equal(1, mesh.Service("echo").Launches);
    }

    [Fact]
    public async Task Connection_to_a_tcp_service_that_exits_at_once_is_closed_without_waiting_for_the_start_timeout()
    {
        // A start timeout far beyond the test's own wait: a close can only come from the exit being noticed.
        await using var mesh = await TestMesh.StartAsync(m => m.TcpEcho("broken", exitAtOnce: 3, extra: ["startTimeout: 10m"]));

        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", mesh.MeshPort("broken"));
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes("anyone there?\n"));

        using var limit = new CancellationTokenSource(Eventually.Deadline);
        var closed = false;
        try
        {
            var buffer = new byte[1024];
            closed = await stream.ReadAsync(buffer, limit.Token) == 0; // 0 = the mesh closed the connection (FIN)
        }
        catch (IOException e) when (e.InnerException is SocketException)
        {
            closed = true; // or reset it (RST)
        }

        Assert.True(closed, "the mesh sent bytes instead of closing the connection");
        Assert.Equal(ServiceState.Failed, mesh.Service("broken").State);
        Assert.Equal(1, mesh.Service("broken").Launches);
        Assert.Contains("exited with code 3", mesh.Status("broken").LastError);
    }

    [Fact]
    public async Task A_half_close_is_passed_on_both_ways_and_every_byte_comes_back_first()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.TcpEcho("echo"));
        using var limit = new CancellationTokenSource(Eventually.Deadline);
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync("127.0.0.1", mesh.MeshPort("echo"), limit.Token);
        var sent = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 20_000).Select(i => $"{i:D5}\n")));

        // The client sends everything, then closes its sending half: the echo server sees the end only through the
        // mesh, echoes the rest, closes, and the client's read ends (0) after the last byte.
        await client.SendAsync(sent, SocketFlags.None, limit.Token);
        client.Shutdown(SocketShutdown.Send);
        using var received = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = await client.ReceiveAsync(buffer, SocketFlags.None, limit.Token)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        Assert.Equal(sent.Length, received.Length);
        Assert.Equal(sent, received.ToArray());
    }

    [Fact]
    public async Task Stopping_the_mesh_closes_open_tcp_connections_and_the_service()
    {
        var mesh = await TestMesh.StartAsync(m => m.TcpEcho("echo"));
        using var limit = new CancellationTokenSource(Eventually.Deadline);
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", mesh.MeshPort("echo"), limit.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("ping\n"u8.ToArray(), limit.Token);
            var buffer = new byte[16];
            Assert.Equal(5, await stream.ReadAsync(buffer, limit.Token));
        }
        finally
        {
            await mesh.DisposeAsync();
        }

        // An open connection does not keep the mesh (or the relay) alive: it is closed, and the service is stopped.
        var closed = false;
        try
        {
            closed = await client.GetStream().ReadAsync(new byte[16], limit.Token) == 0;
        }
        catch (IOException e) when (e.InnerException is SocketException)
        {
            closed = true; // reset
        }

        Assert.True(closed, "the connection stayed open after the mesh stopped");
        Assert.Equal(ServiceState.Stopped, mesh.Service("echo").State);
    }

    /// <summary>Connects to <paramref name="port"/>, sends <paramref name="message"/> and reads as many bytes back.</summary>
    private static async Task<string> EchoAsync(int port, string message)
    {
        using var limit = new CancellationTokenSource(Eventually.Deadline);
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, limit.Token);
        var stream = client.GetStream();
        var sent = Encoding.UTF8.GetBytes(message);
        await stream.WriteAsync(sent, limit.Token);

        var received = new byte[sent.Length];
        var total = 0;
        while (total < received.Length)
        {
            var read = await stream.ReadAsync(received.AsMemory(total), limit.Token);
            Assert.True(read > 0, $"the connection was closed after {total} of {received.Length} echoed bytes");
            total += read;
        }

        return Encoding.UTF8.GetString(received);
    }
}
