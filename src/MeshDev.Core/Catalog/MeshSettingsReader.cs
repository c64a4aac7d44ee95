using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Catalog;

/// <summary>Reads the <c>mesh:</c> section; absent or empty means all defaults.</summary>
internal static partial class MeshSettingsReader
{
    private static readonly ImmutableArray<string> Keys = ["http", "xds", "portRange", "logs", "maxWaitingRequests", "kubernetes", "prewarm"];
    private static readonly ImmutableArray<string> LogsKeys = ["maxSize", "keep"];
    private static readonly ImmutableArray<string> KubernetesKeys = ["gatewayImage"];

    /// <summary>The most requests 'maxWaitingRequests' may hold per service (in the mesh section or a service's own).</summary>
    internal const int MaxWaitingRequestsLimit = 1_000_000;

    public static MeshSettings Read(ManifestSection topLevel)
    {
        var mesh = new ManifestSection(ReadMapping(topLevel), "in mesh", "in mesh", Keys, topLevel.Diagnostics);
        var settings = new MeshSettings();
        if (mesh.Port("http") is { } http)
        {
            settings = settings with { HttpPort = http };
        }

        if (mesh.Port("xds") is { } xds)
        {
            settings = settings with { XdsPort = xds };
        }

        if (ReadPortRange(mesh) is var (start, end))
        {
            settings = settings with { PortRangeStart = start, PortRangeEnd = end };
        }

        if (ReadLogs(mesh) is { } logs)
        {
            settings = settings with { Logs = logs };
        }

        if (mesh.Integer("maxWaitingRequests", 1, MaxWaitingRequestsLimit) is { } maxWaiting)
        {
            settings = settings with { MaxWaitingRequests = maxWaiting };
        }

        if (ReadGatewayImage(mesh) is { } gatewayImage)
        {
            settings = settings with { GatewayImage = gatewayImage };
        }

        if (ReadPrewarm(mesh) is { } prewarm)
        {
            settings = settings with { Prewarm = prewarm };
        }

        CheckSharedAndXdsPorts(mesh, settings);
        return settings;
    }

    /// <summary><c>prewarm: observed | declared | off</c>.</summary>
    private static PrewarmMode? ReadPrewarm(ManifestSection mesh)
    {
        const string Expected = "observed, declared or off";
        if (mesh.Scalar("prewarm", Expected) is not { } node)
        {
            return null;
        }

        switch (node.Value)
        {
            case "observed":
                return PrewarmMode.Observed;
            case "declared":
                return PrewarmMode.Declared;
            case "off":
                return PrewarmMode.Off;
            default:
                mesh.Report(node, $"{mesh.Describe("prewarm")} must be {Expected}, not '{node.Value}'");
                return null;
        }
    }

    /// <summary><c>kubernetes: { gatewayImage: registry.example.com/meshdev/gateway:1.0 }</c>: for clusters that pull from a registry.</summary>
    private static string? ReadGatewayImage(ManifestSection mesh)
    {
        if (mesh.Mapping("kubernetes", "a mapping like { gatewayImage: registry.example.com/meshdev/gateway:1.0 }") is not { } mapping)
        {
            return null;
        }

        var kubernetes = new ManifestSection(mapping, "in mesh.kubernetes", "in mesh.kubernetes", KubernetesKeys, mesh.Diagnostics);
        const string Expected = "an image reference like registry.example.com/meshdev/gateway:1.0";
        if (kubernetes.Scalar("gatewayImage", Expected) is not { Value: { } image } node)
        {
            return null;
        }

        // The cluster would only say "InvalidImageName" once a pod is made; a reference with a blank never names an image.
        if (image.Length == 0 || image.Any(char.IsWhiteSpace))
        {
            kubernetes.Report(node, $"{kubernetes.Describe("gatewayImage")} must be {Expected}, without spaces");
            return null;
        }

        return image;
    }

    /// <summary><c>logs: { maxSize: 10MB, keep: 3 }</c>; a key left out keeps its default.</summary>
    private static LogRotation? ReadLogs(ManifestSection mesh)
    {
        if (mesh.Mapping("logs", "a mapping like { maxSize: 10MB, keep: 3 }") is not { } mapping)
        {
            return null;
        }

        var logs = new ManifestSection(mapping, "in mesh.logs", "in mesh.logs", LogsKeys, mesh.Diagnostics);
        var rotation = LogRotation.Default;
        const string SizeExpected = "a size like 10MB (B, KB, MB or GB; 1 KB = 1024 bytes)";
        if (logs.Scalar("maxSize", SizeExpected) is { Value: { } sizeText } size)
        {
            if (!TryParseSize(sizeText, out var bytes))
            {
                logs.Report(size, $"{logs.Describe("maxSize")} must be {SizeExpected}");
            }
            else if (bytes < LogRotation.MinSize)
            {
                logs.Report(size, $"{logs.Describe("maxSize")} must be at least 1KB (got {sizeText})");
            }
            else
            {
                rotation = rotation with { MaxSize = bytes };
            }
        }

        var keepExpected = $"a number of files from 1 to {LogRotation.MaxKeep} (the current one included)";
        if (logs.Scalar("keep", keepExpected) is { Value: { } keepText } keep)
        {
            if (int.TryParse(keepText, NumberStyles.None, CultureInfo.InvariantCulture, out var files) && files is >= 1 and <= LogRotation.MaxKeep)
            {
                rotation = rotation with { Keep = files };
            }
            else
            {
                logs.Report(keep, $"{logs.Describe("keep")} must be {keepExpected}");
            }
        }

        return rotation;
    }

    private static bool TryParseSize(string text, out long bytes)
    {
        bytes = 0;
        var match = SizePattern().Match(text);
        if (!match.Success || !decimal.TryParse(match.Groups["number"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        var unit = char.ToUpperInvariant(match.Groups["unit"].Value.FirstOrDefault('B')) switch
        {
            'K' => 1L << 10,
            'M' => 1L << 20,
            'G' => 1L << 30,
            _ => 1L,
        };

        // Beyond a terabyte per file is a typo, and keeps the product of size and files far from overflowing.
        if (number * unit > 1L << 40)
        {
            return false;
        }

        bytes = (long)(number * unit);
        return true;
    }

    [GeneratedRegex(@"^(?<number>[0-9]+(\.[0-9]+)?) ?(?<unit>B|[KMG](i?B)?)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SizePattern();

    private static YamlMappingNode? ReadMapping(ManifestSection topLevel)
    {
        switch (topLevel.Field("mesh")?.Value)
        {
            case null:
                return null;
            case YamlMappingNode mapping:
                return mapping;
            // 'mesh:' with every setting commented out is a normal sight, not a mistake.
            case var value when ManifestNodes.IsNull(value):
                return null;
            case var value:
                topLevel.Report(value, "'mesh' must be a mapping with 'http', 'xds' and/or 'portRange'");
                return null;
        }
    }

    /// <summary>The shared port and the ADS server are both the mesh's own listeners, so they cannot share a port.</summary>
    private static void CheckSharedAndXdsPorts(ManifestSection mesh, MeshSettings settings)
    {
        if (settings.HttpPort != settings.XdsPort)
        {
            return;
        }

        // Point at the xds value when it is written; otherwise mesh.http was moved onto the default xds port.
        if (mesh.Field("xds") is var (_, xds))
        {
            mesh.Report(xds, $"xds port {settings.XdsPort} in mesh is the shared port (mesh.http)");
        }
        else if (mesh.Field("http") is var (_, http))
        {
            mesh.Report(http, $"http port {settings.HttpPort} in mesh is the xds port (mesh.xds, default {MeshSettings.DefaultXdsPort}); set mesh.xds to another port");
        }
    }

    private static (int Start, int End)? ReadPortRange(ManifestSection mesh)
    {
        const string Expected = "two port numbers like 15100-15999";
        if (mesh.Scalar("portRange", Expected) is not { Value: { } text } node)
        {
            return null;
        }

        if (!ManifestValues.TryParsePortRange(text, out var start, out var end))
        {
            mesh.Report(node, $"{mesh.Describe("portRange")} must be {Expected}");
            return null;
        }

        if (start > end)
        {
            mesh.Report(node, $"{mesh.Describe("portRange")} must not start after it ends ({start} > {end})");
            return null;
        }

        return (start, end);
    }
}
