using System.Globalization;

namespace MeshDev.Gateway;

/// <summary>
/// What the gateway needs, from its container's environment (the mesh writes it into the generated pod): the
/// service its pod runs, the port the laptop's link connects to, and the mesh ports to listen on — the same
/// 127.0.0.1 ports as on the laptop, so the app's discovery variables are the same wherever it runs.
/// </summary>
internal sealed record GatewaySettings(string Service, string Pod, int LinkPort, IReadOnlyDictionary<int, string> Ports)
{
    public const string ServiceVariable = "MESHDEV_SERVICE";
    public const string LinkPortVariable = "MESHDEV_GATEWAY_LINK_PORT";
    public const string PortsVariable = "MESHDEV_GATEWAY_PORTS";

    /// <summary>Reads the settings; a missing or malformed variable is one sentence naming it.</summary>
    public static GatewaySettings FromEnvironment(Func<string, string?> variable)
    {
        var service = variable(ServiceVariable) is { Length: > 0 } s ? s : throw new FormatException($"{ServiceVariable} is not set");
        var linkText = variable(LinkPortVariable);
        if (!int.TryParse(linkText, CultureInfo.InvariantCulture, out var linkPort) || linkPort is < 1 or > 65535)
        {
            throw new FormatException($"{LinkPortVariable} must be a port number (1-65535), not '{linkText}'");
        }

        var ports = new Dictionary<int, string>();
        foreach (var entry in (variable(PortsVariable) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || !int.TryParse(entry[..equals], CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535 || port == linkPort)
            {
                throw new FormatException($"{PortsVariable}: '{entry}' is not PORT=SERVICE (a port other than the link's)");
            }

            ports[port] = entry[(equals + 1)..];
        }

        var pod = variable("MESHDEV_POD") is { Length: > 0 } p ? p : variable("HOSTNAME") ?? "unknown";
        return new GatewaySettings(service, pod, linkPort, ports);
    }
}
