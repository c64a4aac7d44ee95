using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MeshDev.IntegrationTests.Infrastructure;

/// <summary>
/// A Chrome DevTools protocol connection (JSON messages over a WebSocket, System.Net.WebSockets only) to a browser, and
/// page sessions on it (flat mode: each command names its session). Commands wait for their answer; events are ignored.
/// </summary>
internal sealed class DevToolsSession : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _receiving;
    private readonly SemaphoreSlim _sending = new(1, 1);
    private int _nextId;

    private DevToolsSession(ClientWebSocket socket)
    {
        _socket = socket;
        _receiving = ReceiveAsync();
    }

    public static async Task<DevToolsSession> ConnectAsync(Uri browserEndpoint)
    {
        var socket = new ClientWebSocket();
        socket.Options.Proxy = null;
        await socket.ConnectAsync(browserEndpoint, CancellationToken.None).WaitAsync(Eventually.Deadline);
        return new DevToolsSession(socket);
    }

    /// <summary>Sends <paramref name="method"/> and returns its <c>result</c>; a protocol error is thrown.</summary>
    public async Task<JsonElement> SendAsync(string method, JsonObject? parameters = null, string? sessionId = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var answer = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? [] };
        if (sessionId is not null)
        {
            message["sessionId"] = sessionId;
        }

        await _sending.WaitAsync();
        try
        {
            await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        }
        finally
        {
            _sending.Release();
        }

        return await answer.Task.WaitAsync(Eventually.Deadline);
    }

    /// <summary>A new tab, attached: the returned session id addresses it.</summary>
    public async Task<string> OpenPageAsync()
    {
        var target = await SendAsync("Target.createTarget", new JsonObject { ["url"] = "about:blank" });
        var attached = await SendAsync("Target.attachToTarget", new JsonObject { ["targetId"] = target.GetProperty("targetId").GetString(), ["flatten"] = true });
        return attached.GetProperty("sessionId").GetString()!;
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page and returns its value (JSON).</summary>
    public async Task<JsonElement> EvaluateAsync(string sessionId, string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject
        {
            ["expression"] = expression,
            ["returnByValue"] = true,
            ["awaitPromise"] = true,
        }, sessionId);
        if (result.TryGetProperty("exceptionDetails", out var exception))
        {
            throw new InvalidOperationException($"the page threw evaluating {expression}: {exception}");
        }

        return result.GetProperty("result").TryGetProperty("value", out var value) ? value.Clone() : default;
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (!_closing.IsCancellationRequested)
            {
                var received = await _socket.ReceiveAsync(buffer, _closing.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                message.Write(buffer, 0, received.Count);
                if (!received.EndOfMessage)
                {
                    continue;
                }

                using (var document = JsonDocument.Parse(message.ToArray()))
                {
                    var root = document.RootElement;
                    if (root.TryGetProperty("id", out var id) && _pending.TryRemove(id.GetInt32(), out var answer))
                    {
                        if (root.TryGetProperty("error", out var error))
                        {
                            answer.TrySetException(new InvalidOperationException($"DevTools error: {error}"));
                        }
                        else
                        {
                            answer.TrySetResult(root.GetProperty("result").Clone());
                        }
                    }
                }

                message.SetLength(0);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }
        finally
        {
            foreach (var pending in _pending.Values)
            {
                pending.TrySetException(new InvalidOperationException("the DevTools connection closed"));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }

        await _closing.CancelAsync();
        await _receiving;
        _socket.Dispose();
        _closing.Dispose();
        _sending.Dispose();
    }
}
