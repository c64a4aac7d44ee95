using Grpc.Core;
using MeshDev.Testing.Otlp.Metrics;
using MeshDev.Testing.Otlp.Traces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace MeshDev.Testing.Otlp;

/// <summary>A span as received: hex ids, the exporting resource's service.name, attributes as text.</summary>
internal sealed record ReceivedSpan(
    string Service, string TraceId, string SpanId, string ParentSpanId, string Name, int Kind, IReadOnlyDictionary<string, string> Attributes, int StatusCode);

/// <summary>One data point of a metric as received: a sum's or gauge's value, or a histogram's count.</summary>
internal sealed record ReceivedPoint(string Service, string Metric, string Unit, IReadOnlyDictionary<string, string> Attributes, double Value);

/// <summary>
/// A real OTLP/gRPC receiver (the collector's TraceService and MetricsService, from the OTLP protos) on a loopback port:
/// what exporters send, kept in order; tests wait for what they expect by events, not by sleeping.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<ReceivedSpan> _spans = [];
    private readonly List<ReceivedPoint> _points = [];
    private readonly List<(Func<bool> Done, TaskCompletionSource Signal)> _waiters = [];
    private WebApplication? _app;
    private bool _keep = true;
    private long _spansReceived;

    /// <summary>The address exporters are given (OTEL_EXPORTER_OTLP_ENDPOINT).</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>
    /// The OTEL_* settings that make an OpenTelemetry SDK export here, sending spans after <paramref name="batchDelayMs"/>
    /// and metrics every <paramref name="metricIntervalMs"/> (the SDK's defaults, 5 s and 60 s, are long for a test).
    /// </summary>
    public Dictionary<string, string> ExporterSettings(int batchDelayMs = 100, int metricIntervalMs = 200) => new(StringComparer.Ordinal)
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint,
        ["OTEL_BSP_SCHEDULE_DELAY"] = batchDelayMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["OTEL_METRIC_EXPORT_INTERVAL"] = metricIntervalMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>How many spans arrived, kept or not.</summary>
    public long SpansReceived => Interlocked.Read(ref _spansReceived);

    /// <param name="keep">False only counts the spans (<see cref="SpansReceived"/>): a benchmark's millions are not kept.</param>
    public static async Task<OtlpReceiver> StartAsync(bool keep = true, CancellationToken cancellationToken = default)
    {
        var receiver = new OtlpReceiver { _keep = keep };
        var builder = LoopbackKestrel.CreateBuilder(HttpProtocols.Http2);
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = null);
        builder.Services.AddSingleton(receiver);
        var app = builder.Build();
        app.MapGrpcService<TraceEndpoint>();
        app.MapGrpcService<MetricsEndpoint>();
        var port = await LoopbackKestrel.StartAsync(app, cancellationToken);
        receiver._app = app;
        receiver.Endpoint = $"http://127.0.0.1:{port}";
        return receiver;
    }

    public IReadOnlyList<ReceivedSpan> Spans
    {
        get
        {
            lock (_gate)
            {
                return [.. _spans];
            }
        }
    }

    public IReadOnlyList<ReceivedPoint> Points
    {
        get
        {
            lock (_gate)
            {
                return [.. _points];
            }
        }
    }

    /// <summary>The first span that matches, once it has arrived.</summary>
    public async Task<ReceivedSpan> WaitForSpanAsync(Func<ReceivedSpan, bool> match, CancellationToken cancellationToken)
    {
        await WaitUntilAsync(() => _spans.Any(match), cancellationToken);
        return Spans.First(match);
    }

    /// <summary>The latest data point that matches, once one has arrived.</summary>
    public async Task<ReceivedPoint> WaitForPointAsync(Func<ReceivedPoint, bool> match, CancellationToken cancellationToken)
    {
        await WaitUntilAsync(() => _points.Any(match), cancellationToken);
        return Points.Last(match);
    }

    /// <summary>Completes once <paramref name="done"/> (checked under the receiver's lock, at each export) holds.</summary>
    private Task WaitUntilAsync(Func<bool> done, CancellationToken cancellationToken)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (done())
            {
                return Task.CompletedTask;
            }

            _waiters.Add((done, signal));
        }

        return signal.Task.WaitAsync(cancellationToken);
    }

    private void Add(IEnumerable<ReceivedSpan> spans, IEnumerable<ReceivedPoint> points)
    {
        lock (_gate)
        {
            _spans.AddRange(spans);
            _points.AddRange(points);
            foreach (var waiter in _waiters.Where(w => w.Done()).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Signal.TrySetResult();
            }
        }
    }

    private static string ServiceOf(Resource? resource) =>
        resource?.Attributes.FirstOrDefault(a => a.Key == "service.name")?.Value?.StringValue ?? "";

    private static Dictionary<string, string> Text(IEnumerable<KeyValue> attributes) =>
        attributes.ToDictionary(a => a.Key, a => a.Value?.ValueCase switch
        {
            AnyValue.ValueOneofCase.StringValue => a.Value.StringValue,
            AnyValue.ValueOneofCase.IntValue => a.Value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            AnyValue.ValueOneofCase.DoubleValue => a.Value.DoubleValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            AnyValue.ValueOneofCase.BoolValue => a.Value.BoolValue ? "true" : "false",
            _ => "",
        }, StringComparer.Ordinal);

    private static string Hex(Google.Protobuf.ByteString bytes) => Convert.ToHexStringLower(bytes.Span);

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            foreach (var waiter in _waiters)
            {
                waiter.Signal.TrySetCanceled();
            }
        }

        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private sealed class TraceEndpoint(OtlpReceiver receiver) : TraceService.TraceServiceBase
    {
        public override Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
        {
            Interlocked.Add(ref receiver._spansReceived, request.ResourceSpans.Sum(r => r.ScopeSpans.Sum(s => (long)s.Spans.Count)));
            if (!receiver._keep)
            {
                return Task.FromResult(new ExportTraceServiceResponse());
            }

            receiver.Add(
                from resource in request.ResourceSpans
                from scope in resource.ScopeSpans
                from span in scope.Spans
                select new ReceivedSpan(ServiceOf(resource.Resource), Hex(span.TraceId), Hex(span.SpanId), Hex(span.ParentSpanId), span.Name, span.Kind,
                    Text(span.Attributes), span.Status?.Code ?? 0),
                []);
            return Task.FromResult(new ExportTraceServiceResponse());
        }
    }

    private sealed class MetricsEndpoint(OtlpReceiver receiver) : MetricsService.MetricsServiceBase
    {
        public override Task<ExportMetricsServiceResponse> Export(ExportMetricsServiceRequest request, ServerCallContext context)
        {
            receiver.Add([],
                from resource in request.ResourceMetrics
                from scope in resource.ScopeMetrics
                from metric in scope.Metrics
                from point in PointsOf(metric)
                select new ReceivedPoint(ServiceOf(resource.Resource), metric.Name, metric.Unit, Text(point.Attributes), point.Value));
            return Task.FromResult(new ExportMetricsServiceResponse());
        }

        private static IEnumerable<(IEnumerable<KeyValue> Attributes, double Value)> PointsOf(Metric metric) => metric.DataCase switch
        {
            Metric.DataOneofCase.Sum => metric.Sum.DataPoints.Select(p => ((IEnumerable<KeyValue>)p.Attributes, ValueOf(p))),
            Metric.DataOneofCase.Gauge => metric.Gauge.DataPoints.Select(p => ((IEnumerable<KeyValue>)p.Attributes, ValueOf(p))),
            Metric.DataOneofCase.Histogram => metric.Histogram.DataPoints.Select(p => ((IEnumerable<KeyValue>)p.Attributes, (double)p.Count)),
            _ => [],
        };

        private static double ValueOf(NumberDataPoint point) => point.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? point.AsInt : point.AsDouble;
    }
}
