using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace MeshDev.Catalog;

/// <summary>The syntax of the values a manifest may hold (ports, durations, names…), independent of YAML.</summary>
internal static partial class ManifestValues
{
    /// <summary>
    /// Longest finite duration accepted. Timers cannot wait longer than about 49 days, so anything
    /// beyond this would fail at run time instead of here; 'never' covers "keep it running".
    /// </summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(1000);

    public static bool TryParsePort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;

    /// <summary>Parses <c>START-END</c>, both ports; <paramref name="start"/> may still be greater than <paramref name="end"/>.</summary>
    public static bool TryParsePortRange(string text, out int start, out int end)
    {
        start = end = 0;
        var parts = text.Split('-');
        return parts.Length == 2 && TryParsePort(parts[0].Trim(), out start) && TryParsePort(parts[1].Trim(), out end);
    }

    /// <summary>
    /// Parses an integer with a unit (<c>500ms</c>, <c>30s</c>, <c>10m</c>, <c>1h</c>) into milliseconds.
    /// Milliseconds rather than a TimeSpan so a too-long value can be told apart from a malformed one.
    /// </summary>
    public static bool TryParseDuration(string text, out long milliseconds)
    {
        milliseconds = 0;
        var match = DurationPattern().Match(text);
        if (!match.Success)
        {
            return false;
        }

        // At most nine digits, so the product cannot overflow a long.
        var amount = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        milliseconds = amount * match.Groups[2].Value switch
        {
            "ms" => 1L,
            "s" => 1_000L,
            "m" => 60_000L,
            _ => 3_600_000L,
        };
        return true;
    }

    /// <summary>YAML 1.2 core-schema booleans only: <c>yes</c>/<c>no</c>/<c>on</c>/<c>off</c> are too easy to misread.</summary>
    public static bool TryParseBool(string text, out bool value)
    {
        switch (text)
        {
            case "true" or "True" or "TRUE":
                value = true;
                return true;
            case "false" or "False" or "FALSE":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    /// <summary>A DNS label, so the name also works as a host name, a container name and a Kubernetes object name.</summary>
    public static bool IsValidServiceName(string name) => name.Length <= 63 && ServiceNamePattern().IsMatch(name);

    /// <summary>An RFC 1123 host name (letters, digits, '-', dot-separated labels).</summary>
    public static bool IsValidHostName(string host) =>
        host.Length <= 253 && host.Split('.').All(label => label.Length <= 63 && HostLabelPattern().IsMatch(label));

    public static bool IsValidEnvironmentName(string name) => EnvironmentNamePattern().IsMatch(name);

    /// <summary>
    /// A fully-qualified protobuf service name as it appears in a gRPC path (<c>/shop.orders.v1.Orders/Get</c>):
    /// identifiers joined by '.', without the leading dot protobuf descriptors sometimes carry.
    /// </summary>
    public static bool IsValidGrpcServiceName(string name) => GrpcServiceNamePattern().IsMatch(name);

    /// <summary>127.0.0.0/8, ::1 or localhost: the only upstreams the mesh forwards to.</summary>
    public static bool IsLoopbackHost(Uri uri) =>
        string.Equals(uri.IdnHost, "localhost", StringComparison.OrdinalIgnoreCase)
        || IPAddress.TryParse(uri.IdnHost, out var address) && IPAddress.IsLoopback(address);

    [GeneratedRegex(@"^([0-9]{1,9})(ms|s|m|h)$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex ServiceNamePattern();

    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$")]
    private static partial Regex HostLabelPattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvironmentNamePattern();

    // \z rather than $, which would also accept a trailing newline ("shop.Orders\n" from a quoted scalar).
    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\z")]
    private static partial Regex GrpcServiceNamePattern();
}
