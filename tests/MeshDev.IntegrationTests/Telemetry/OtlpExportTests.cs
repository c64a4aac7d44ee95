using System.Net;
using Grpc.Core;
using MeshDev.GrpcTest.V1;
using MeshDev.IntegrationTests.GrpcTests.Infrastructure;
using MeshDev.IntegrationTests.Infrastructure;
using MeshDev.Testing.Otlp;

namespace MeshDev.IntegrationTests.Telemetry;

/// <summary>
/// What the mesh exports over OTLP/gRPC, as a real receiver gets it, with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set. Service
/// names are this class's own: every exporting mesh of the test process reports its spans and metrics to every receiver.
/// </summary>
public sealed class OtlpExportTests : IAsyncLifetime
{
    private OtlpReceiver _receiver = null!;
    private readonly CancellationTokenSource _timeout = new(Eventually.Deadline);

    public async Task InitializeAsync() => _receiver = await OtlpReceiver.StartAsync();

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        _timeout.Dispose();
    }

    [Fact]
    public async Task A_launch_is_a_span_in_the_first_callers_trace_with_its_phases_as_children()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("phased"), otel: _receiver.ExporterSettings());
        const string callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
        using var request = new HttpRequestMessage(HttpMethod.Get, mesh.Url("phased"));
        request.Headers.Add("traceparent", $"00-{callerTrace}-00f067aa0ba902b7-01");

        using var response = await mesh.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("meshdev-activation;dur=", response.Headers.GetValues("Server-Timing").Single(), StringComparison.Ordinal);
        var forward = await _receiver.WaitForSpanAsync(s => s.TraceId == callerTrace && s.Name == "phased", _timeout.Token);
        var launch = await _receiver.WaitForSpanAsync(s => s.TraceId == callerTrace && s.Name == "launch phased", _timeout.Token);
        Assert.Equal(forward.SpanId, launch.ParentSpanId);
        Assert.Equal("process", launch.Attributes["meshdev.runtime"]);
        foreach (var phase in new[] { "spawn", "port open", "ready" })
        {
            var span = await _receiver.WaitForSpanAsync(s => s.ParentSpanId == launch.SpanId && s.Name == phase, _timeout.Token);
            Assert.Equal(callerTrace, span.TraceId);
        }

        // A command has nothing to build.
        Assert.DoesNotContain(_receiver.Spans, s => s.ParentSpanId == launch.SpanId && s.Name == "build");
    }

    [Fact]
    public async Task A_project_services_launch_has_a_build_phase()
    {
        var sources = Directory.CreateTempSubdirectory("meshdev-otel-build-");
        try
        {
            var project = Path.Combine(sources.FullName, "Web.csproj");
            await File.WriteAllTextAsync(project, WebProject.Csproj);
            await File.WriteAllTextAsync(Path.Combine(sources.FullName, "Program.cs"), """
                var app = WebApplication.CreateBuilder(args).Build();
                app.MapGet("/", () => "built");
                app.MapGet("/healthz", () => "ok");
                app.Run();
                """);
            await using var mesh = await TestMesh.StartAsync(m => m.Project("otel-built", project), otel: _receiver.ExporterSettings());

            Assert.Equal("built", await mesh.GetStringAsync("otel-built"));

            var launch = await _receiver.WaitForSpanAsync(s => s.Name == "launch otel-built", _timeout.Token);
            string[] phases = ["build", "spawn", "port open", "ready"];
            foreach (var phase in phases)
            {
                await _receiver.WaitForSpanAsync(s => s.ParentSpanId == launch.SpanId && s.Name == phase, _timeout.Token);
            }
        }
        finally
        {
            sources.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Metrics_count_activations_requests_launches_and_failures_per_service()
    {
        await using var mesh = await TestMesh.StartAsync(
            m => m.Service("metered").Service("metered-broken", command: "/nonexistent/bin"), otel: _receiver.ExporterSettings());

        Assert.Equal("hello from metered", await mesh.GetStringAsync("metered", "/"));
        using var failed = await mesh.Http.GetAsync(mesh.Url("metered-broken"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        var activation = await Point("meshdev.activation.duration", "metered", p => p.Value >= 1);
        Assert.Equal("s", activation.Unit);
        Assert.Equal("process", activation.Attributes["meshdev.runtime"]);
        await Point("meshdev.requests", "metered", p => p.Value >= 1);
        await Point("meshdev.requests.in_flight", "metered", p => p.Value == 0);
        await Point("meshdev.launches", "metered", p => p.Value >= 1);
        var failures = await Point("meshdev.launch.failures", "metered-broken", p => p.Value >= 1);
        Assert.Equal("meshdev", failures.Service);
    }

    [Fact]
    public async Task Launched_services_get_their_name_and_the_meshs_endpoint_beneath_their_own_env()
    {
        await using var mesh = await TestMesh.StartAsync(
            m => m.Service("otel-default").Service("otel-own", env: new Dictionary<string, string>
            {
                ["OTEL_SERVICE_NAME"] = "chosen-by-the-service",
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4317",
            }),
            otel: new Dictionary<string, string>(_receiver.ExporterSettings()) { ["OTEL_RESOURCE_ATTRIBUTES"] = "service.instance.id=the-mesh, deployment.environment=dev" });

        Assert.Equal("otel-default", await mesh.GetStringAsync("otel-default", "/env/OTEL_SERVICE_NAME"));
        Assert.Equal(_receiver.Endpoint, await mesh.GetStringAsync("otel-default", "/env/OTEL_EXPORTER_OTLP_ENDPOINT"));
        Assert.Equal("chosen-by-the-service", await mesh.GetStringAsync("otel-own", "/env/OTEL_SERVICE_NAME"));
        Assert.Equal("http://127.0.0.1:4317", await mesh.GetStringAsync("otel-own", "/env/OTEL_EXPORTER_OTLP_ENDPOINT"));

        // The mesh's own identity (as Aspire gives it) is not passed on: each service is an instance of its own.
        Assert.Equal("deployment.environment=dev", await mesh.GetStringAsync("otel-default", "/env/OTEL_RESOURCE_ATTRIBUTES"));
    }

    [Fact]
    public async Task A_grpc_call_is_forwarded_in_a_span_of_its_own()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("otel-echo"), otel: _receiver.ExporterSettings());
        using var client = new DotnetGrpcClient(mesh.MeshPort("otel-echo"));
        const string callerTrace = "5bf92f3577b34da6a3ce929d0e0e4737";

        var reply = await client.Echo.SayAsync(
            new EchoRequest { Text = "traced" }, new Metadata { { "traceparent", $"00-{callerTrace}-00f067aa0ba902b8-01" } }, DotnetGrpcClient.Deadline);

        Assert.Equal("traced", reply.Text);
        var span = await _receiver.WaitForSpanAsync(s => s.TraceId == callerTrace && s.Name == "otel-echo", _timeout.Token);
        Assert.Equal("POST", span.Attributes["http.request.method"]);
        Assert.Equal("/meshdev.test.v1.Echo/Say", span.Attributes["url.path"]);
    }

    [Fact]
    public async Task Requests_are_served_and_the_mesh_stops_while_the_receiver_is_gone()
    {
        var gone = await OtlpReceiver.StartAsync();
        var settings = gone.ExporterSettings();
        await gone.DisposeAsync();
        var mesh = await TestMesh.StartAsync(m => m.Service("otel-unheard"), otel: settings);
        try
        {
            Assert.Equal("hello from otel-unheard", await mesh.GetStringAsync("otel-unheard", "/"));
            Assert.Equal("hello from otel-unheard", await mesh.GetStringAsync("otel-unheard", "/"));
        }
        finally
        {
            // The last export fails (connection refused) within the stop.
            await mesh.DisposeAsync().AsTask().WaitAsync(Eventually.Deadline);
        }
    }

    private Task<ReceivedPoint> Point(string metric, string service, Func<ReceivedPoint, bool> holds) =>
        _receiver.WaitForPointAsync(
            p => p.Metric == metric && p.Attributes.GetValueOrDefault("meshdev.service") == service && holds(p), _timeout.Token);
}
