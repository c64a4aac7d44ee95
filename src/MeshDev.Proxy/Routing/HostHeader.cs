using System.Globalization;

namespace MeshDev.Proxy.Routing;

/// <summary>Checks what Kestrel leaves to the application: that a Host's port is a port.</summary>
public static class HostHeader
{
    /// <summary>True for an empty Host (HTTP/1.0, h2 without :authority), a name or address, optionally with a port 1–65535.</summary>
    public static bool IsValid(string? host)
    {
        if (string.IsNullOrEmpty(host))
        {
            return true;
        }

        var portStart = host.StartsWith('[') ? host.IndexOf("]:", StringComparison.Ordinal) + 1 : host.LastIndexOf(':');
        if (portStart <= 0)
        {
            return !host.StartsWith('[') || host.EndsWith(']');
        }

        var port = host.AsSpan(portStart + 1);
        return port.Length is > 0 and <= 5
               && !port.ContainsAnyExceptInRange('0', '9')
               && int.Parse(port, CultureInfo.InvariantCulture) is >= 1 and <= 65535;
    }
}
