using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using MeshDev.IntegrationTests.Infrastructure;
using MeshDev.Testing.Otlp;

namespace MeshDev.IntegrationTests;

/// <summary>What a service sees of its caller's request headers when the call goes through the mesh.</summary>
public sealed class HeaderForwardingTests
{
    [Fact]
    public async Task The_callers_trace_context_and_own_headers_arrive_unchanged_and_the_mesh_adds_no_forwarding_headers()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("orders"));
        const string traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        using var request = new HttpRequestMessage(HttpMethod.Get, mesh.Url("orders", "/headers"));
        request.Headers.Add("traceparent", traceparent);
        request.Headers.Add("tracestate", "vendor=abc");
        request.Headers.Add("X-Tenant", "acme");

        using var response = await mesh.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var headers = JsonSerializer.Deserialize<Dictionary<string, string>>(await response.Content.ReadAsStringAsync())!;
        var received = new Dictionary<string, string>(headers, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(traceparent, received["traceparent"]);
        Assert.Equal("vendor=abc", received["tracestate"]);
        Assert.Equal("acme", received["X-Tenant"]);
        Assert.DoesNotContain(received.Keys, k => k.StartsWith("X-Forwarded-", StringComparison.OrdinalIgnoreCase) || k.Equals("Forwarded", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task With_export_on_the_forwarded_traceparent_continues_the_callers_trace_with_the_meshs_span_as_parent()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var mesh = await TestMesh.StartAsync(m => m.Service("traced-orders"), otel: receiver.ExporterSettings());
        const string callerTrace = "0af7651916cd43dd8448eb211c80319c";
        const string callerSpan = "b7ad6b7169203331";
        using var request = new HttpRequestMessage(HttpMethod.Get, mesh.Url("traced-orders", "/headers"));
        request.Headers.Add("traceparent", $"00-{callerTrace}-{callerSpan}-01");
        request.Headers.Add("tracestate", "vendor=abc");

        using var response = await mesh.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var headers = JsonSerializer.Deserialize<Dictionary<string, string>>(await response.Content.ReadAsStringAsync())!;
        var received = new Dictionary<string, string>(headers, StringComparer.OrdinalIgnoreCase);
        var forwarded = received["traceparent"].Split('-');
        Assert.Equal(["00", callerTrace], forwarded[..2]);
        Assert.NotEqual(callerSpan, forwarded[2]);
        Assert.Equal("01", forwarded[3]);
        Assert.Equal("vendor=abc", received["tracestate"]);

        // The parent the service was told of is the mesh's span, exported in the caller's trace under the caller's span.
        using var timeout = new CancellationTokenSource(Eventually.Deadline);
        var span = await receiver.WaitForSpanAsync(s => s.SpanId == forwarded[2], timeout.Token);
        Assert.Equal(("meshdev", callerTrace, callerSpan), (span.Service, span.TraceId, span.ParentSpanId));
        Assert.Equal("traced-orders", span.Name);
        Assert.Equal("traced-orders", span.Attributes["meshdev.service"]);
        Assert.Equal("200", span.Attributes["http.response.status_code"]);
    }

    [Fact]
    public async Task A_call_without_trace_context_gets_none_added()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("orders"));

        var headers = JsonSerializer.Deserialize<Dictionary<string, string>>(await mesh.GetStringAsync("orders", "/headers"))!;

        Assert.DoesNotContain(headers.Keys, k => k.Equals("traceparent", StringComparison.OrdinalIgnoreCase) || k.Equals("Request-Id", StringComparison.OrdinalIgnoreCase));
    }

    // Echoes X-Name as X-Echo and adds a Latin-1 header: python's http.server reads and writes header bytes as Latin-1,
    // so whatever bytes arrive are the bytes it answers.
    private const string LatinServer = """
        import http.server, os
        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'
            def do_GET(self):
                self.send_response(200)
                self.send_header('X-Echo', self.headers.get('X-Name', ''))
                self.send_header('X-Latin', 'caf' + chr(233))
                self.send_header('Content-Length', '2')
                self.end_headers()
                self.wfile.write(b'ok')
            def log_message(self, *args):
                pass
        http.server.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()
        """;

    [Fact]
    public async Task Header_values_beyond_ascii_pass_through_byte_for_byte_both_ways()
    {
        // Both were 502s "did not answer": HttpClient refused to send the UTF-8 request header, Kestrel to write the
        // service's Latin-1 response header.
        var script = "\"" + LatinServer.Replace("\n", "\\n", StringComparison.Ordinal) + "\""; // no '"' or '\' inside
        await using var mesh = await TestMesh.StartAsync(m => m.Service("latin", command: "python3", ready: "{ tcp: true }", extra: [$"args: [\"-c\", {script}]"]));

        var response = await SendLatin1Async(mesh.MeshPort("latin"), "GET / HTTP/1.1\r\nHost: latin\r\nX-Name: caf\u00C3\u00A9\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
        Assert.Contains("X-Echo: caf\u00C3\u00A9\r\n", response, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("X-Latin: caf\u00E9\r\n", response, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Sends <paramref name="request"/>'s chars as bytes (Latin-1) and reads the answer the same way until the server closes.</summary>
    private static async Task<string> SendLatin1Async(int port, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        using var timeout = new CancellationTokenSource(Eventually.Deadline);
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request), timeout.Token);
        using var received = new MemoryStream();
        await stream.CopyToAsync(received, timeout.Token);
        return Encoding.Latin1.GetString(received.ToArray());
    }
}
