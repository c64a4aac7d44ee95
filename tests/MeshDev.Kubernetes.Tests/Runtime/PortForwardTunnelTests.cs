using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using MeshDev.Kubernetes.Forwarding;

namespace MeshDev.Kubernetes.Tests.Runtime;

/// <summary>
/// The WebSocket port-forward framing (<c>v4.channel.k8s.io</c>) against a WebSocket that plays the API server's side
/// over a loopback connection: channel bytes, the port header of each channel, the error channel, and the ends.
/// </summary>
public sealed class PortForwardTunnelTests
{
    private static readonly byte[] PortHeader = [0x90, 0x1F]; // 8080, little endian

    private static async Task<(Socket Near, Socket Far)> ConnectedPairAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var far = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = listener.AcceptSocketAsync();
        await far.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
        return (await accept, far);
    }

    private static async Task<(WebSocket Client, WebSocket Server)> WebSocketPairAsync()
    {
        var (a, b) = await ConnectedPairAsync();
        return (
            WebSocket.CreateFromStream(new NetworkStream(a, ownsSocket: true), new WebSocketCreationOptions { IsServer = false }),
            WebSocket.CreateFromStream(new NetworkStream(b, ownsSocket: true), new WebSocketCreationOptions { IsServer = true }));
    }

    private static Task SendAsync(WebSocket socket, byte channel, params byte[] data) =>
        socket.SendAsync((byte[])[channel, .. data], WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);

    private static async Task<byte[]> ReceiveMessageAsync(WebSocket socket)
    {
        var buffer = new byte[1024];
        var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
        Assert.True(result.EndOfMessage);
        return buffer[..result.Count];
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        var text = new StringBuilder();
        var buffer = new byte[1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
        {
            text.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        return text.ToString();
    }

    [Fact]
    public async Task Bytes_flow_both_ways_without_the_port_headers_and_the_error_channel_is_reported()
    {
        var (local, client) = await ConnectedPairAsync();
        var (tunnel, apiServer) = await WebSocketPairAsync();
        var errors = new List<string>();
        var pipe = PortForwardTunnel.PipeAsync(local, tunnel, errors.Add, CancellationToken.None);

        // The server opens both channels with the port, then sends data in two messages.
        await SendAsync(apiServer, 0, PortHeader);
        await SendAsync(apiServer, 1, PortHeader);
        await SendAsync(apiServer, 0, "hel"u8.ToArray());
        await SendAsync(apiServer, 0, "lo"u8.ToArray());

        await client.SendAsync("ping"u8.ToArray(), SocketFlags.None);
        Assert.Equal((byte[])[0, .. "ping"u8.ToArray()], await ReceiveMessageAsync(apiServer));

        await SendAsync(apiServer, 1, "connection refused"u8.ToArray());
        await apiServer.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);

        Assert.Equal("hello", await ReadToEndAsync(client));
        await pipe.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["connection refused"], errors);
        client.Dispose();
    }

    [Fact]
    public async Task A_port_header_split_across_messages_is_still_skipped()
    {
        var (local, client) = await ConnectedPairAsync();
        var (tunnel, apiServer) = await WebSocketPairAsync();
        var pipe = PortForwardTunnel.PipeAsync(local, tunnel, _ => { }, CancellationToken.None);

        await SendAsync(apiServer, 0, PortHeader[0]);
        await SendAsync(apiServer, 0, [PortHeader[1], .. "data"u8.ToArray()]);
        await apiServer.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);

        Assert.Equal("data", await ReadToEndAsync(client));
        await pipe.WaitAsync(TimeSpan.FromSeconds(10));
        client.Dispose();
    }

    [Fact]
    public async Task After_the_local_side_ends_its_sending_the_pods_answer_still_reaches_it_until_the_pod_closes()
    {
        var (local, client) = await ConnectedPairAsync();
        var (tunnel, apiServer) = await WebSocketPairAsync();
        // Quiet for longer than the test: only the pod's close may end the tunnel here.
        var pipe = PortForwardTunnel.PipeAsync(local, tunnel, _ => { }, CancellationToken.None, quietAfterLocalEnd: TimeSpan.FromMinutes(5));
        await SendAsync(apiServer, 0, PortHeader);
        await SendAsync(apiServer, 1, PortHeader);

        // As `nc -N` does: the request, then the end of its sending side, then it waits for the answer.
        await client.SendAsync("question"u8.ToArray(), SocketFlags.None);
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal((byte[])[0, .. "question"u8.ToArray()], await ReceiveMessageAsync(apiServer));
        await SendAsync(apiServer, 0, "answer"u8.ToArray());
        await apiServer.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);

        Assert.Equal("answer", await ReadToEndAsync(client));
        await pipe.WaitAsync(TimeSpan.FromSeconds(10));
        client.Dispose();
    }

    [Fact]
    public async Task The_local_side_closing_closes_the_tunnel_once_the_pod_is_quiet()
    {
        var (local, client) = await ConnectedPairAsync();
        var (tunnel, apiServer) = await WebSocketPairAsync();
        var pipe = PortForwardTunnel.PipeAsync(local, tunnel, _ => { }, CancellationToken.None, quietAfterLocalEnd: TimeSpan.Zero);

        client.Shutdown(SocketShutdown.Send);
        var buffer = new byte[16];
        var result = await apiServer.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        await apiServer.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);

        await pipe.WaitAsync(TimeSpan.FromSeconds(10));
        client.Dispose();
    }
}
