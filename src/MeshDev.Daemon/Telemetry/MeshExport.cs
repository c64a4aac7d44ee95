using System.Collections;
using MeshDev.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace MeshDev.Daemon.Telemetry;

/// <summary>
/// The OpenTelemetry SDK exporting the mesh's spans and metrics (<see cref="MeshTelemetry"/>) over OTLP, on while
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, as Aspire sets it. Everything else is the SDK's own reading of the standard
/// variables (protocol, headers, sampler — parent-based, always on by default —, batch delay, metric interval, resource),
/// from the settings given, which are the process environment's OTEL_* variables unless a test gives its own.
/// </summary>
internal sealed class MeshExport : IDisposable
{
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    private const string ResourceAttributesVariable = "OTEL_RESOURCE_ATTRIBUTES";

    /// <summary>The service name of the mesh's own telemetry unless OTEL_SERVICE_NAME says otherwise.</summary>
    public const string ServiceName = "meshdev";

    // What launched services are given of the mesh's settings, so they export to the same receiver the same way.
    private static readonly string[] SharedWithServices = [EndpointVariable, "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_HEADERS"];

    private const int ShutdownTimeoutMs = 2000;

    private readonly TracerProvider _traces;
    private readonly MeterProvider _metrics;

    private MeshExport(MeshTelemetry telemetry, TracerProvider traces, MeterProvider metrics)
    {
        Telemetry = telemetry;
        _traces = traces;
        _metrics = metrics;
    }

    public MeshTelemetry Telemetry { get; }

    /// <summary>Starts export when <paramref name="settings"/> (OTEL_* variables; the process environment's when null) name an endpoint; else null.</summary>
    public static MeshExport? Start(IReadOnlyDictionary<string, string>? settings)
    {
        settings ??= FromEnvironment();
        if (string.IsNullOrWhiteSpace(settings.GetValueOrDefault(EndpointVariable)))
        {
            return null;
        }

        // The SDK reads its settings from the IConfiguration in its own container: given ours, it reads these settings
        // alone, as it would read the environment.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build();
        void UseSettings(IServiceCollection services) => services.AddSingleton<IConfiguration>(configuration);
        // "meshdev" first: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (Aspire names its resources so) win over it.
        static ResourceBuilder Resource() => ResourceBuilder.CreateEmpty().AddService(ServiceName).AddTelemetrySdk().AddEnvironmentVariableDetector();

        var shared = SharedWithServices
            .Where(name => !string.IsNullOrWhiteSpace(settings.GetValueOrDefault(name)))
            .ToDictionary(name => name, name => settings[name], StringComparer.Ordinal);
        if (settings.GetValueOrDefault(ResourceAttributesVariable) is { } attributes)
        {
            // A process service inherits the mesh's environment: without this, every service would claim the mesh's own
            // identity (Aspire gives each resource a service.instance.id) and the dashboard would fold them together.
            shared[ResourceAttributesVariable] = WithoutIdentity(attributes);
        }

        var telemetry = new MeshTelemetry(shared);
        var traces = Sdk.CreateTracerProviderBuilder()
            .ConfigureServices(UseSettings)
            .SetResourceBuilder(Resource())
            .AddSource(MeshTelemetry.Name)
            .AddOtlpExporter()
            .Build();
        var metrics = Sdk.CreateMeterProviderBuilder()
            .ConfigureServices(UseSettings)
            .SetResourceBuilder(Resource())
            .AddMeter(MeshTelemetry.Name)
            .AddOtlpExporter()
            .Build();
        return new MeshExport(telemetry, traces, metrics);
    }

    /// <summary>OTEL_RESOURCE_ATTRIBUTES (<c>k=v,k=v</c>) without the attributes that name one service or instance.</summary>
    internal static string WithoutIdentity(string attributes) => string.Join(',', attributes
        .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Where(pair => pair.Split('=', 2)[0].Trim() is not ("service.name" or "service.instance.id")));

    private static Dictionary<string, string> FromEnvironment()
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string name && name.StartsWith("OTEL_", StringComparison.Ordinal) && entry.Value is string value)
            {
                settings[name] = value;
            }
        }

        return settings;
    }

    /// <summary>Sends what is still batched and stops listening.</summary>
    public void Dispose()
    {
        // A receiver that stopped first (the dashboard closed) must not hold `meshdev down` for the exporter's own
        // timeout (10 s per signal): what cannot be sent within this is dropped.
        _traces.Shutdown(ShutdownTimeoutMs);
        _metrics.Shutdown(ShutdownTimeoutMs);
        _traces.Dispose();
        _metrics.Dispose();
        Telemetry.Dispose();
    }
}
