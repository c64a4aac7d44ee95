using System.Diagnostics;
using System.Diagnostics.Metrics;
using MeshDev.Activation;
using MeshDev.Catalog;

namespace MeshDev.Telemetry;

/// <summary>
/// The mesh's traces and metrics, made only while export is on (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set): without it the
/// mesh holds none of this and its hot path creates no Activity. One per mesh; an exporter (the OpenTelemetry SDK, in the
/// daemon) listens to <see cref="Name"/>.
/// </summary>
public sealed class MeshTelemetry : IDisposable
{
    /// <summary>The name of the mesh's ActivitySource and Meter.</summary>
    public const string Name = "MeshDev";

    /// <summary>The span and metric attribute that names the service.</summary>
    public const string ServiceAttribute = "meshdev.service";

    /// <summary>The metric attribute that names the service's runtime (process, docker, kubernetes, remote).</summary>
    public const string RuntimeAttribute = "meshdev.runtime";

    // Launches take from a few hundred milliseconds (a process) to minutes (a first build, an image pull).
    private static readonly double[] ActivationBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

    private readonly ActivitySource _source = new(Name);
    private readonly Meter _meter = new(Name);
    private readonly Histogram<double> _activation;
    private readonly Counter<long> _failures;

    /// <param name="exportEnvironment">The OTEL_EXPORTER_OTLP_* variables launched services get, so they export where the mesh does.</param>
    public MeshTelemetry(IReadOnlyDictionary<string, string> exportEnvironment)
    {
        ExportEnvironment = exportEnvironment;
        _activation = _meter.CreateHistogram(
            "meshdev.activation.duration", "s", "How long a launch took, from its start to the service being ready.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = ActivationBuckets });
        _failures = _meter.CreateCounter<long>("meshdev.launch.failures", "{failure}", "Launches that failed.");
    }

    /// <summary>The OTEL_EXPORTER_OTLP_* variables launched services get (under their own <c>env</c>).</summary>
    public IReadOnlyDictionary<string, string> ExportEnvironment { get; }

    /// <summary>
    /// Reports the counts the activators keep anyway (requests, in flight, launches), read when the exporter collects:
    /// the request path pays nothing for them.
    /// </summary>
    public void Observe(IReadOnlyList<ServiceActivator> services)
    {
        KeyValuePair<string, object?>[][] byService = [.. services.Select(s => new[] { new KeyValuePair<string, object?>(ServiceAttribute, s.Service.Name) })];
        KeyValuePair<string, object?>[][] withRuntime = [.. services.Select(TagsOf)];
        _meter.CreateObservableCounter("meshdev.requests", () => Measure(services, byService, s => s.Requests), "{request}",
            "Requests, streams and connections forwarded to the service.");
        _meter.CreateObservableUpDownCounter("meshdev.requests.in_flight", () => Measure(services, byService, s => s.InFlight), "{request}",
            "Requests, streams and connections open right now.");
        _meter.CreateObservableCounter("meshdev.launches", () => Measure(services, withRuntime, s => s.Launches), "{launch}",
            "Instances the mesh spawned.");
    }

    /// <summary>
    /// The span of one forwarded request, continuing the caller's trace (its <c>traceparent</c>) or beginning one; it is
    /// the parent of the forwarded call. Null when the sampler dropped it entirely.
    /// </summary>
    public Activity? StartForward(string service, string method, string? path, string? traceparent, string? tracestate)
    {
        ActivityContext.TryParse(traceparent, tracestate, isRemote: true, out var parent);
        var activity = _source.StartActivity("forward", ActivityKind.Server, parent);
        if (activity is { IsAllDataRequested: true })
        {
            // The span is named for the service: one name per route, as the HTTP conventions ask, and no string to build.
            activity.DisplayName = service;
            activity.SetTag(ServiceAttribute, service);
            activity.SetTag("http.request.method", method);
            activity.SetTag("url.path", path);
        }

        return activity;
    }

    /// <summary>Ends a span of <see cref="StartForward"/> with the status the client got.</summary>
    public static void EndForward(Activity activity, int statusCode)
    {
        if (activity.IsAllDataRequested)
        {
            activity.SetTag("http.response.status_code", statusCode);
            if (statusCode >= 500)
            {
                activity.SetStatus(ActivityStatusCode.Error);
            }
        }

        activity.Dispose();
    }

    /// <summary>The span of one launch, a child of whatever span began it (the first caller's request); its phases are its children.</summary>
    internal LaunchTrace StartLaunch(ServiceSpec service, TimeProvider time) => new(_source, service, time);

    /// <summary>A launch became ready after <paramref name="duration"/>.</summary>
    internal void RecordActivation(ServiceSpec service, TimeSpan duration) =>
        _activation.Record(duration.TotalSeconds, new(ServiceAttribute, service.Name), new(RuntimeAttribute, RuntimeOf(service)));

    /// <summary>A launch failed.</summary>
    internal void RecordFailure(ServiceSpec service) =>
        _failures.Add(1, new(ServiceAttribute, service.Name), new(RuntimeAttribute, RuntimeOf(service)));

    internal static string RuntimeOf(ServiceSpec service) => service.Runtime.ToString().ToLowerInvariant();

    private static KeyValuePair<string, object?>[] TagsOf(ServiceActivator service) =>
        [new(ServiceAttribute, service.Service.Name), new(RuntimeAttribute, RuntimeOf(service.Service))];

    private static Measurement<long>[] Measure(IReadOnlyList<ServiceActivator> services, KeyValuePair<string, object?>[][] tags, Func<ServiceActivator, long> value)
    {
        var measurements = new Measurement<long>[services.Count];
        for (var i = 0; i < measurements.Length; i++)
        {
            measurements[i] = new Measurement<long>(value(services[i]), tags[i]);
        }

        return measurements;
    }

    public void Dispose()
    {
        _source.Dispose();
        _meter.Dispose();
    }
}
