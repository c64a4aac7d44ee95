using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Catalog;

/// <summary>Reads the <c>mesh:</c> section; absent or empty means all defaults.</summary>
internal static class MeshSettingsReader
{
    private static readonly ImmutableArray<string> Keys = ["http", "portRange"];

    public static MeshSettings Read(ManifestSection topLevel)
    {
        var mesh = new ManifestSection(ReadMapping(topLevel), "in mesh", "in mesh", Keys, topLevel.Diagnostics);
        var settings = new MeshSettings();
        if (mesh.Port("http") is { } http)
        {
            settings = settings with { HttpPort = http };
        }

        if (ReadPortRange(mesh) is var (start, end))
        {
            settings = settings with { PortRangeStart = start, PortRangeEnd = end };
        }

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
                topLevel.Report(value, "'mesh' must be a mapping with 'http' and/or 'portRange'");
                return null;
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
