using MeshDev.Catalog;

namespace MeshDev.Discovery;

/// <summary>
/// The OpenTelemetry variables a launched service gets, as Aspire gives them: <c>OTEL_SERVICE_NAME</c> (its name) always,
/// and, while the mesh exports, the mesh's <c>OTEL_EXPORTER_OTLP_*</c> settings, so its spans join the traces the mesh's
/// spans begin. They are defaults: a value the service's own <c>env</c> sets wins.
/// </summary>
public static class TelemetryEnvironment
{
    public const string ServiceNameVariable = "OTEL_SERVICE_NAME";

    /// <summary><paramref name="launch"/> plus the variables <paramref name="service"/>'s own <c>env</c> does not set.</summary>
    /// <param name="export">The mesh's OTEL_EXPORTER_OTLP_* settings; null or empty while it does not export.</param>
    public static IReadOnlyDictionary<string, string> AddDefaults(IReadOnlyDictionary<string, string> launch, ServiceSpec service, IReadOnlyDictionary<string, string>? export)
    {
        var env = new Dictionary<string, string>(launch, StringComparer.Ordinal);
        Default(ServiceNameVariable, service.Name);
        foreach (var (name, value) in export ?? new Dictionary<string, string>())
        {
            Default(name, value);
        }

        return env;

        void Default(string name, string value)
        {
            if (!service.Env.ContainsKey(name))
            {
                env.TryAdd(name, value);
            }
        }
    }
}
