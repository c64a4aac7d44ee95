using System.Net.WebSockets;
using System.Text;
using MeshDev.Activation;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests;

/// <summary>WebSockets and server-sent events reach a lazily launched service, and keep it from idle stop while open.</summary>
public sealed class StreamingTests
{
    [Fact]
    public async Task WebSocket_to_a_cold_service_launches_it_and_echoes()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("chat"));
        using var socket = new ClientWebSocket();

        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{mesh.MeshPort("chat")}/ws"), CancellationToken.None);
        Assert.Equal("hello", await EchoAsync(socket, "hello"));
        Assert.Equal("again", await EchoAsync(socket, "again"));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);

        Assert.Equal(1, mesh.Service("chat").Launches);
        Assert.Equal(ServiceState.Ready, mesh.Service("chat").State);
    }

    [Fact]
    public async Task Open_WebSocket_keeps_the_service_alive_past_its_idle_timeout()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("chat", extra: ["idleTimeout: 1s"]));
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{mesh.MeshPort("chat")}/ws"), CancellationToken.None);

        // Quiet for longer than the idle timeout, twice: the open socket is activity.
        for (var i = 0; i < 2; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            Assert.Equal($"still there {i}", await EchoAsync(socket, $"still there {i}"));
        }

        Assert.DoesNotContain(mesh.Changes("chat"), c => c.To is ServiceState.Stopping or ServiceState.Stopped);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);

        // Closed: the idle timeout applies again.
        var stop = await mesh.WaitForChangeAsync("chat", c => c.To == ServiceState.Stopped, "stopped when idle after the socket closed");
        Assert.Contains("idle", stop.Detail);
    }

    [Fact]
    public async Task Server_sent_events_flow_from_a_cold_service_through_the_shared_port()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("feed"));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{mesh.SharedPort}/events?count=3&intervalMs=50");
        request.Headers.Host = "feed";

        using var response = await mesh.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add(line["data: ".Length..]);
            }
        }

        Assert.Equal(["event 1", "event 2", "event 3"], events);
        Assert.Equal(1, mesh.Service("feed").Launches);
    }

    private static async Task<string> EchoAsync(ClientWebSocket socket, string text)
    {
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        var buffer = new byte[1024];
        var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
        return Encoding.UTF8.GetString(buffer, 0, received.Count);
    }
}
