using System.Buffers.Binary;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// One port-forward WebSocket in the <c>v4.channel.k8s.io</c> framing, as the kubelet serves it. Every message is one
/// channel byte and then payload; port <c>i</c> of the request has data channel <c>2i</c> and error channel
/// <c>2i+1</c>. The server first sends each channel the port number (2 bytes, little-endian) — KubernetesClient's
/// <c>StreamDemuxer</c> in <c>StreamType.PortForward</c> mode drops those two bytes per channel — then pipes the data
/// channel both ways to one TCP connection to the pod's port. A port nothing listens on gets the kubelet's error text
/// on its error channel. The socket closes when every forwarded connection has ended, or ends them when the client goes.
/// </summary>
internal sealed class PortForwardSession(
    WebSocket socket, V1Pod pod, IReadOnlyList<int> ports, Func<V1Pod, int, CancellationToken, Task<Socket?>> connect, TimeProvider time)
{
    // How long the server waits, after its close message, for the client to answer or go. Leaving earlier would abort
    // the connection and could drop the last data still on its way.
    private static readonly TimeSpan CloseLinger = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _sending = new(1, 1);

    public async Task RunAsync(CancellationToken stopping)
    {
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var connections = new TcpClient?[ports.Count];
        try
        {
            for (var i = 0; i < ports.Count; i++)
            {
                var port = new byte[2];
                BinaryPrimitives.WriteUInt16LittleEndian(port, (ushort)ports[i]);
                await SendAsync(DataChannel(i), port, ending.Token);
                await SendAsync(ErrorChannel(i), port, ending.Token);
            }

            for (var i = 0; i < ports.Count; i++)
            {
                connections[i] = await ConnectAsync(i, ending.Token);
            }

            var pumps = Task.WhenAll(connections.Select((c, i) => c is null ? Task.CompletedTask : PumpToClientAsync(c, i, ending.Token)));
            var reader = ReadFromClientAsync(connections, ending.Token);
            if (await Task.WhenAny(pumps, reader) == pumps)
            {
                // Every forwarded connection has ended: close, then let the client read to the end and go.
                if (socket.State == WebSocketState.Open)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ending.Token);
                }

                await Task.WhenAny(reader, Task.Delay(CloseLinger, time, ending.Token));
            }
            else if (socket.State == WebSocketState.CloseReceived)
            {
                // The client closed: answer its close message, which completes the WebSocket closing handshake.
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ending.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
            // The client went, or the stand-in stops.
        }
        finally
        {
            await ending.CancelAsync();
            foreach (var connection in connections)
            {
                connection?.Dispose();
            }
        }
    }

    private static byte DataChannel(int port) => (byte)(2 * port);

    private static byte ErrorChannel(int port) => (byte)((2 * port) + 1);

    private async Task<TcpClient?> ConnectAsync(int index, CancellationToken cancellationToken)
    {
        var port = ports[index];
        if (await connect(pod, port, cancellationToken) is { } connected)
        {
            return new TcpClient { Client = connected };
        }

        // The kubelet's (containerd's) words when nothing in the pod listens on the port.
        var error = $"error forwarding port {port} to pod {pod.Metadata.Uid}, uid : failed to execute portforward in network namespace \"/var/run/netns/cni-{pod.Metadata.Uid}\": " +
            $"failed to connect to localhost:{port} inside namespace \"{pod.Metadata.Uid}\", IPv4: dial tcp4 127.0.0.1:{port}: connect: connection refused IPv6 dial tcp6 [::1]:{port}: connect: connection refused ";
        await SendAsync(ErrorChannel(index), Encoding.UTF8.GetBytes(error), cancellationToken);
        return null;
    }

    private async Task PumpToClientAsync(TcpClient connection, int index, CancellationToken cancellationToken)
    {
        var buffer = new byte[(64 * 1024) + 1];
        var stream = connection.GetStream();
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(1), cancellationToken)) > 0)
            {
                buffer[0] = DataChannel(index);
                await SendMessageAsync(buffer.AsMemory(0, read + 1), cancellationToken);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or WebSocketException)
        {
            // The pod's side reset the connection (an end like an orderly close), the client went, or the session ends.
        }
    }

    private async Task ReadFromClientAsync(TcpClient?[] connections, CancellationToken cancellationToken)
    {
        try
        {
            await CopyFromClientAsync(connections, cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // The client went without a close message, or the session ends.
        }
    }

    private async Task CopyFromClientAsync(TcpClient?[] connections, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        int? channel = null;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            var offset = 0;
            if (channel is null && result.Count > 0)
            {
                channel = buffer[0];
                offset = 1;
            }

            // Only data channels carry bytes from the client; anything sent to an error channel is dropped, as the kubelet does.
            if (channel is { } c && c % 2 == 0 && c / 2 < connections.Length && connections[c / 2] is { Connected: true } connection && result.Count > offset)
            {
                try
                {
                    await connection.GetStream().WriteAsync(buffer.AsMemory(offset, result.Count - offset), cancellationToken);
                }
                catch (IOException)
                {
                    // The pod's side is gone; its pump ends the session.
                }
            }

            if (result.EndOfMessage)
            {
                channel = null;
            }
        }
    }

    private Task SendAsync(byte channel, byte[] payload, CancellationToken cancellationToken)
    {
        var message = new byte[payload.Length + 1];
        message[0] = channel;
        payload.CopyTo(message, 1);
        return SendMessageAsync(message, cancellationToken);
    }

    private async Task SendMessageAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken);
        try
        {
            await socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _sending.Release();
        }
    }
}
