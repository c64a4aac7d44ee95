using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Catalog;

/// <summary>Reads the <c>mesh:</c> section; absent or empty means all defaults.</summary>
internal static class MeshSettingsReader
{
    private static readonly ImmutableArray<string> Keys = ["http", "xds", "portRange", "maxWaitingRequests"];

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

        if (mesh.Integer("maxWaitingRequests", 1, MaxWaitingRequestsLimit) is { } maxWaiting)
        {
            settings = settings with { MaxWaitingRequests = maxWaiting };
        }

        CheckSharedAndXdsPorts(mesh, settings);
        return settings;
    }

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
