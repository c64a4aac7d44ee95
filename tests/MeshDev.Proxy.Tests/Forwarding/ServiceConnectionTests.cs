using System.Net;
using System.Net.Sockets;
using System.Text;
using MeshDev.Proxy.Forwarding;
using MeshDev.Testing;

namespace MeshDev.Proxy.Tests.Forwarding;

/// <summary>
/// The mesh's client against scripted servers on loopback (raw sockets, so each test says exactly what the server
/// sends and when it closes): HTTP/1.0 answers are not followed by a reuse, HTTP/1.1 connections are reused, and a
/// connection that ends before answering is reported as such.
/// </summary>
public sealed class ServiceConnectionTests
{
    [Fact]
    public async Task After_an_http10_response_without_keep_alive_the_next_request_opens_a_new_connection()
    {
        // The server keeps the connection open (a slow close): only the client's own decision can avoid reusing it.
        await using var server = await ScriptedServer.StartAsync(_ => "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", closeAfterResponse: false);
        using var client = ServiceHttpClient.Create();

        for (var i = 0; i < 3; i++)
        {
            using var response = await client.SendAsync(Get(server.Port), CancellationToken.None);
            Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(3, server.Connections);
    }

    [Fact]
    public async Task Http11_connections_are_reused_and_their_responses_arrive_unchanged()
    {
        await using var server = await ScriptedServer.StartAsync(_ => "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Server: scripted\r\n\r\nhello", closeAfterResponse: false);
        using var client = ServiceHttpClient.Create();

        for (var i = 0; i < 3; i++)
        {
            using var response = await client.SendAsync(Get(server.Port), CancellationToken.None);
            Assert.Equal("hello", await response.Content.ReadAsStringAsync());
            Assert.Equal("scripted", response.Headers.GetValues("X-Server").Single());
            Assert.False(response.Headers.ConnectionClose ?? false);
        }

        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task An_http10_response_split_inside_its_status_line_is_still_recognised()
    {
        await using var server = await ScriptedServer.StartAsync(_ => "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", closeAfterResponse: false, splitAt: 5);
        using var client = ServiceHttpClient.Create();

        for (var i = 0; i < 2; i++)
        {
            using var response = await client.SendAsync(Get(server.Port), CancellationToken.None);
            Assert.Equal("ok", await response.Content.ReadAsStringAsync());
            Assert.True(response.Headers.ConnectionClose);
        }

        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task A_connection_closed_before_any_response_byte_is_reported_as_nothing_received()
    {
        await using var server = await ScriptedServer.StartAsync(_ => "", closeAfterResponse: true);
        using var client = ServiceHttpClient.Create();

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(Get(server.Port), CancellationToken.None));

        Assert.True(ServiceForwarder.NothingReachedService(error), error.ToString());
    }

    [Fact]
    public async Task A_connection_closed_after_part_of_a_response_is_not_reported_as_nothing_received()
    {
        await using var server = await ScriptedServer.StartAsync(_ => "HTTP/1.1 200 OK\r\nContent-Le", closeAfterResponse: true);
        using var client = ServiceHttpClient.Create();

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(Get(server.Port), CancellationToken.None));

        Assert.False(ServiceForwarder.NothingReachedService(error), error.ToString());
    }

    [Fact]
    public async Task A_server_that_answers_http11_with_an_http2_preface_is_reported_as_http2_only()
    {
        // What Node's http2.createServer sends to an HTTP/1.1 request line: an empty SETTINGS frame, then GOAWAY
        // (PROTOCOL_ERROR), then it closes.
        const string preface = "\0\0\0\u0004\0\0\0\0\0" + "\0\0\u0008\u0007\0\0\0\0\0" + "\0\0\0\0\0\0\0\u0001";
        await using var server = await ScriptedServer.StartAsync(_ => preface, closeAfterResponse: true);
        using var client = ServiceHttpClient.Create();

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(Get(server.Port), CancellationToken.None));

        Assert.Contains(Chain(error), e => e is Http2OnlyServiceException);
        Assert.False(ServiceForwarder.NothingReachedService(error), error.ToString());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(30)] // inside its headers: the status line alone does not say yet
    public async Task Kestrels_refusal_of_http11_on_an_http2_only_endpoint_is_reported_as_http2_only(int splitAt)
    {
        var refusal = Encoding.ASCII.GetString(ServiceConnection.KestrelRefusal);
        await using var server = await ScriptedServer.StartAsync(_ => refusal, closeAfterResponse: true, splitAt: splitAt);
        using var client = ServiceHttpClient.Create();

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(Get(server.Port), CancellationToken.None));

        Assert.Contains(Chain(error), e => e is Http2OnlyServiceException);
    }

    [Fact]
    public async Task Another_400_that_begins_like_kestrels_refusal_reaches_the_caller_unchanged()
    {
        const string answer = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nbad request";
        await using var server = await ScriptedServer.StartAsync(_ => answer, closeAfterResponse: true);
        using var client = ServiceHttpClient.Create();

        using var response = await client.SendAsync(Get(server.Port), CancellationToken.None);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("bad request", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 4, 0, 0, 0, 0, 0 }, true)]
    [InlineData(new byte[] { 0, 0, 6, 4, 1, 0, 0, 0, 0 }, true)]
    [InlineData(new byte[] { 0, 0, 0, 4, 0, 0, 0, 0 }, false)] // not a whole frame header yet
    [InlineData(new byte[] { 0, 0, 0, 4, 0, 0, 0, 0, 1 }, false)] // a stream other than 0
    [InlineData(new byte[] { (byte)'H', (byte)'T', (byte)'T', (byte)'P', (byte)'/', (byte)'1', (byte)'.', (byte)'1', (byte)' ' }, false)]
    public void Only_a_settings_frame_header_on_stream_0_counts_as_an_http2_preface(byte[] bytes, bool expected)
    {
        Assert.Equal(expected, ServiceConnection.IsSettingsFrame(bytes));
    }

    [Fact]
    public async Task A_refused_connection_is_reported_as_refused_and_as_nothing_received()
    {
        var port = TestPorts.Free();

        using var client = ServiceHttpClient.Create();

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(Get(port), CancellationToken.None));

        Assert.True(ServiceForwarder.IsConnectionRefused(error));
        Assert.True(ServiceForwarder.NothingReachedService(error));
    }

    private static IEnumerable<Exception> Chain(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }

    private static HttpRequestMessage Get(int port) =>
        new(HttpMethod.Get, $"http://127.0.0.1:{port}/") { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionOrLower };

    /// <summary>A loopback server that answers every request on every connection with the same bytes.</summary>
    private sealed class ScriptedServer : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly Func<string, string> _answer;
        private readonly bool _closeAfterResponse;
        private readonly int _splitAt;
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _connections = [];
        private readonly Task _accepting;
        private int _count;

        private ScriptedServer(Func<string, string> answer, bool closeAfterResponse, int splitAt)
        {
            _answer = answer;
            _closeAfterResponse = closeAfterResponse;
            _splitAt = splitAt;
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            _accepting = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Connections => Volatile.Read(ref _count);

        public static Task<ScriptedServer> StartAsync(Func<string, string> answer, bool closeAfterResponse, int splitAt = 0) =>
            Task.FromResult(new ScriptedServer(answer, closeAfterResponse, splitAt));

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var socket = await _listener.AcceptSocketAsync(_stop.Token);
                    Interlocked.Increment(ref _count);
                    lock (_connections)
                    {
                        _connections.Add(ServeAsync(socket));
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        private async Task ServeAsync(Socket socket)
        {
            using (socket)
            {
                var buffer = new byte[8192];
                var request = new StringBuilder();
                try
                {
                    while (true)
                    {
                        var read = await socket.ReceiveAsync(buffer, _stop.Token);
                        if (read == 0)
                        {
                            return;
                        }

                        request.Append(Encoding.ASCII.GetString(buffer, 0, read));
                        if (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                        {
                            continue;
                        }

                        var answer = Encoding.ASCII.GetBytes(_answer(request.ToString()));
                        request.Clear();
                        if (_splitAt > 0 && answer.Length > _splitAt)
                        {
                            await socket.SendAsync(answer.AsMemory(0, _splitAt), _stop.Token);
                            await Task.Yield();
                            await socket.SendAsync(answer.AsMemory(_splitAt), _stop.Token);
                        }
                        else if (answer.Length > 0)
                        {
                            await socket.SendAsync(answer, _stop.Token);
                        }

                        if (_closeAfterResponse)
                        {
                            socket.Shutdown(SocketShutdown.Both);
                            return;
                        }
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException)
                {
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _accepting;
            Task[] open;
            lock (_connections)
            {
                open = [.. _connections];
            }

            await Task.WhenAll(open);
            _stop.Dispose();
        }
    }
}
