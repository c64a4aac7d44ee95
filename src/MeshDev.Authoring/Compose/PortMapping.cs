using MeshDev.Catalog;

namespace MeshDev.Authoring.Compose;

/// <summary>One entry of compose <c>ports</c>: the port the app listens on in the container, and where the host publishes it.</summary>
/// <param name="HostPort">The published host port; null when none is given (not published, or published on a random port).</param>
/// <param name="Published">True when compose publishes the port on the host at all (a host port or a host IP is given).</param>
internal readonly record struct PortMapping(int ContainerPort, int? HostPort, bool Published)
{
    /// <summary>
    /// Reads the short syntax <c>[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]</c> (<c>80</c>, <c>8080:80</c>,
    /// <c>127.0.0.1:8080:80</c>, <c>[::1]::80/tcp</c>). Null with <paramref name="problem"/> for what the manifest cannot hold.
    /// </summary>
    public static PortMapping? Parse(string text, out string? problem)
    {
        problem = null;
        var rest = text;
        var slash = rest.LastIndexOf('/');
        if (slash >= 0)
        {
            var protocol = rest[(slash + 1)..];
            if (protocol != "tcp")
            {
                problem = protocol is "udp" or "sctp" ? $"is a {protocol.ToUpperInvariant()} port; the mesh forwards TCP only" : "has an unknown protocol";
                return null;
            }

            rest = rest[..slash];
        }

        string? hostIp = null;
        if (rest.StartsWith('['))
        {
            // An IPv6 host address is bracketed so its colons are not taken for separators.
            var close = rest.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0)
            {
                problem = "is not a valid port mapping";
                return null;
            }

            hostIp = rest[1..close];
            rest = rest[(close + 2)..];
        }

        var parts = rest.Split(':');
        if (parts.Length > (hostIp is null ? 3 : 2))
        {
            problem = "is not a valid port mapping";
            return null;
        }

        if (parts.Length == 3)
        {
            hostIp = parts[0];
        }

        var hostPort = parts.Length >= 2 ? parts[^2] : "";
        var containerPort = parts[^1];
        if (hostPort.Contains('-') || containerPort.Contains('-'))
        {
            problem = "is a port range; a manifest service has one port";
            return null;
        }

        if (!ManifestValues.TryParsePort(containerPort, out var container) || (hostPort.Length > 0 && !ManifestValues.TryParsePort(hostPort, out _)))
        {
            problem = "is not a valid port mapping";
            return null;
        }

        int? host = hostPort.Length > 0 ? int.Parse(hostPort, System.Globalization.CultureInfo.InvariantCulture) : null;
        return new PortMapping(container, host, Published: host is not null || hostIp is not null);
    }
}
