using System.Collections.Immutable;
using MeshDev.Catalog;
using MeshDev.Discovery;

namespace MeshDev.Core.Tests.Discovery;

public sealed class TelemetryEnvironmentTests
{
    private static readonly Dictionary<string, string> Launch = new() { ["MESHDEV_SERVICE"] = "orders", ["PORT_HINT"] = "1" };

    private static readonly Dictionary<string, string> Export = new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4317",
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
    };

    [Fact]
    public void A_service_is_named_after_itself_and_gets_the_meshs_export_settings_with_the_launch_variables()
    {
        var env = TelemetryEnvironment.AddDefaults(Launch, Service(), Export);

        Assert.Equal("orders", env["OTEL_SERVICE_NAME"]);
        Assert.Equal("http://127.0.0.1:4317", env["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        Assert.Equal("grpc", env["OTEL_EXPORTER_OTLP_PROTOCOL"]);
        Assert.Equal("1", env["PORT_HINT"]);
    }

    [Fact]
    public void Without_export_a_service_gets_its_name_and_no_endpoint()
    {
        var env = TelemetryEnvironment.AddDefaults(Launch, Service(), export: null);

        Assert.Equal("orders", env["OTEL_SERVICE_NAME"]);
        Assert.False(env.ContainsKey("OTEL_EXPORTER_OTLP_ENDPOINT"));
    }

    [Fact]
    public void What_the_services_own_env_sets_is_not_overridden()
    {
        var service = Service() with
        {
            Env = ImmutableDictionary<string, string>.Empty
                .Add("OTEL_SERVICE_NAME", "orders-api")
                .Add("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
        };

        var env = TelemetryEnvironment.AddDefaults(Launch, service, Export);

        // Absent from the launch variables, which a runtime applies over the service's env: the service's values stand.
        Assert.False(env.ContainsKey("OTEL_SERVICE_NAME"));
        Assert.False(env.ContainsKey("OTEL_EXPORTER_OTLP_ENDPOINT"));
        Assert.Equal("grpc", env["OTEL_EXPORTER_OTLP_PROTOCOL"]);
    }

    private static ServiceSpec Service() => new() { Name = "orders", Command = "orders", WorkingDir = "/tmp" };
}
