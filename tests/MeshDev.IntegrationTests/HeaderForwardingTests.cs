using System.Net;
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
}
