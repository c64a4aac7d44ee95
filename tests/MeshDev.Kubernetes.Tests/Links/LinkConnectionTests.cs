using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using MeshDev.Link;

namespace MeshDev.Kubernetes.Tests.Links;

/// <summary>
/// The link protocol over a real loopback TCP connection: the gateway's end opens streams, the laptop's end accepts
/// them. Many streams share one connection; each has its own window, half-close and reset.
/// </summary>
public sealed class LinkConnectionTests : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }
    }

    private async Task<(LinkConnection Gateway, LinkConnection Laptop)> PairAsync(Func<LinkTunnel, LinkOpen, Task>? accept = null, Action<FrameType, byte[]>? laptopMessages = null)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accepted = listener.AcceptSocketAsync();
        await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
        var gateway = new LinkConnection(new NetworkStream(await accepted, ownsSocket: true), new LinkOptions());
        var laptop = new LinkConnection(new NetworkStream(client, ownsSocket: true), new LinkOptions { Accept = accept, Message = laptopMessages });
        _owned.Add(gateway);
        _owned.Add(laptop);
        return (gateway, laptop);
    }

    /// <summary>The laptop's end as an echo: every stream gets its bytes back, then the end.</summary>
    private static async Task EchoAsync(LinkTunnel tunnel, LinkOpen open)
    {
        var buffer = new byte[8192];
        int read;
        while ((read = await tunnel.ReadAsync(buffer)) > 0)
        {
            await tunnel.WriteAsync(buffer.AsMemory(0, read));
        }

        tunnel.End();
    }

    private static async Task<byte[]> ReadToEndAsync(LinkTunnel tunnel)
    {
        using var all = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = await tunnel.ReadAsync(buffer)) > 0)
        {
            all.Write(buffer, 0, read);
        }

        return all.ToArray();
    }

    [Fact]
    public async Task Fifty_streams_carry_their_own_bytes_both_ways_over_one_connection()
    {
        var opened = new List<int>();
        var (gateway, _) = await PairAsync((tunnel, open) =>
        {
            lock (opened)
            {
                opened.Add(open.Port);
            }

            return EchoAsync(tunnel, open);
        });

        var calls = Enumerable.Range(0, 50).Select(async i =>
        {
            var payload = RandomNumberGenerator.GetBytes(100_000 + i);
            var tunnel = gateway.Open(new LinkOpen(15100 + i));
            var reading = ReadToEndAsync(tunnel);
            await tunnel.WriteAsync(payload);
            tunnel.End();
            Assert.Equal(payload, await reading);
        });
        await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(Enumerable.Range(15100, 50), opened.Order());
        Assert.Equal(0, gateway.OpenStreams);
    }

    [Fact]
    public async Task A_stream_nobody_reads_stops_its_writer_at_the_window_and_others_go_on()
    {
        var stalled = new TaskCompletionSource<LinkTunnel>();
        var (gateway, _) = await PairAsync((tunnel, open) =>
        {
            if (open.Port == 1)
            {
                stalled.TrySetResult(tunnel); // never read
                return Task.CompletedTask;
            }

            return EchoAsync(tunnel, open);
        });

        var slow = gateway.Open(new LinkOpen(1));
        var bigWrite = slow.WriteAsync(new byte[4 * LinkFrame.InitialWindow]).AsTask();
        await stalled.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var other = gateway.Open(new LinkOpen(2));
        var reading = ReadToEndAsync(other);
        await other.WriteAsync("still flowing"u8.ToArray());
        other.End();
        Assert.Equal("still flowing", Encoding.UTF8.GetString(await reading.WaitAsync(TimeSpan.FromSeconds(10))));

        // The unread stream holds at most its window: its writer waits for credit that never comes.
        Assert.False(bigWrite.IsCompleted);
        slow.Reset("test over");
        await Assert.ThrowsAsync<IOException>(() => bigWrite.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Closing_the_link_resets_every_open_stream_with_the_reason()
    {
        var accepted = new TaskCompletionSource();
        var (gateway, laptop) = await PairAsync((tunnel, open) =>
        {
            accepted.TrySetResult();
            return Task.CompletedTask;
        });

        var tunnel = gateway.Open(new LinkOpen(7));
        await accepted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        laptop.Close("the laptop went to sleep");

        var error = await Assert.ThrowsAsync<IOException>(async () => await tunnel.ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("closed the link", error.Message, StringComparison.Ordinal);
        Assert.Equal("the laptop went to sleep", await laptop.Closed);
        Assert.False(gateway.IsOpen);
    }

    [Fact]
    public async Task A_reset_reaches_the_other_end_with_its_reason()
    {
        var laptopSide = new TaskCompletionSource<LinkTunnel>();
        var (gateway, _) = await PairAsync((tunnel, open) =>
        {
            laptopSide.TrySetResult(tunnel);
            return Task.CompletedTask;
        });

        var tunnel = gateway.Open(new LinkOpen(7));
        var accepted = await laptopSide.Task.WaitAsync(TimeSpan.FromSeconds(10));
        accepted.Reset("port 7 is not a port of the mesh");

        var error = await Assert.ThrowsAsync<IOException>(async () => await tunnel.ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("port 7 is not a port of the mesh", error.Message);
    }

    [Fact]
    public async Task Messages_on_stream_zero_reach_the_other_end()
    {
        var hello = new TaskCompletionSource<LinkHello>();
        var (gateway, _) = await PairAsync(laptopMessages: (type, payload) =>
        {
            if (type == FrameType.Hello)
            {
                hello.TrySetResult(LinkHello.Decode(payload));
            }
        });

        gateway.Send(FrameType.Hello, new LinkHello(LinkProtocol.Version, "orders", "orders-5f7d-x2").Encode());
        Assert.Equal(new LinkHello(LinkProtocol.Version, "orders", "orders-5f7d-x2"), await hello.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_peer_that_is_not_a_link_is_refused_with_a_sentence()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accepted = listener.AcceptSocketAsync();
        await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
        await using var link = new LinkConnection(new NetworkStream(await accepted, ownsSocket: true), new LinkOptions());

        await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(), SocketFlags.None);

        Assert.Contains("not a MeshDev link", await link.Closed.WaitAsync(TimeSpan.FromSeconds(10)), StringComparison.Ordinal);
    }

    [Fact]
    public void Routes_and_reports_survive_their_encoding()
    {
        var routes = new LinkRoutes(new Dictionary<int, LinkDirectRoute> { [15101] = new("orders", "10.244.0.7", 8080), [15102] = new("users", "10.244.0.9", 9090) });
        var decoded = LinkRoutes.Decode(routes.Encode());
        Assert.Equal(routes.Direct.OrderBy(d => d.Key), decoded.Direct.OrderBy(d => d.Key));

        var report = new LinkReport("orders", 2, 1, 17);
        Assert.Equal(report, LinkReport.Decode(report.Encode()));
    }

    [Fact]
    public async Task A_client_that_resets_its_connection_ends_the_piped_stream_at_once_though_the_other_side_is_silent()
    {
        var laptopSide = new TaskCompletionSource<LinkTunnel>();
        var (gateway, _) = await PairAsync((tunnel, open) =>
        {
            laptopSide.TrySetResult(tunnel); // answers nothing, ends nothing: a server waiting for the rest of a request
            return Task.CompletedTask;
        });
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var app = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accepted = listener.AcceptSocketAsync();
        await app.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
        var pipe = gateway.Open(new LinkOpen(7)).PipeAsync(await accepted);
        await app.SendAsync("GET / HTTP/1.1\r\n"u8.ToArray(), SocketFlags.None);
        var remote = await laptopSide.Task.WaitAsync(TimeSpan.FromSeconds(10));

        app.LingerState = new LingerOption(true, 0);
        app.Dispose();

        await pipe.WaitAsync(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<IOException>(async () =>
        {
            var buffer = new byte[64];
            while (await remote.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10)) > 0)
            {
            }
        });
    }
}
