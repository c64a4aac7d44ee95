using System.Collections.Immutable;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Catalog;

/// <summary>Loads <c>meshdev.yaml</c> into a validated <see cref="MeshManifest"/>, or throws one <see cref="ManifestException"/> listing every problem.</summary>
public static class ManifestLoader
{
    private static readonly ImmutableArray<string> TopLevelKeys = ["mesh", "services"];

    /// <summary>Reads and validates the manifest at <paramref name="path"/>.</summary>
    /// <exception cref="ManifestException">The file is missing, unreadable or invalid.</exception>
    public static MeshManifest Load(string path)
    {
        var fullPath = Path.GetFullPath(path);
        string yaml;
        try
        {
            yaml = File.ReadAllText(fullPath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw FileProblem(fullPath, "the manifest file does not exist; create one or pass -f FILE");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw FileProblem(fullPath, $"the manifest file cannot be read: {e.Message}");
        }

        return Parse(yaml, fullPath);
    }

    /// <summary>Validates manifest text. <paramref name="filePath"/> names the file in messages and anchors relative paths.</summary>
    /// <exception cref="ManifestException">The manifest is invalid.</exception>
    public static MeshManifest Parse(string yaml, string filePath)
    {
        var fullPath = Path.GetFullPath(filePath);
        var diagnostics = new ManifestDiagnostics(fullPath);
        var manifest = ReadYaml(yaml, diagnostics) is { } root ? ReadManifest(root, diagnostics) : null;
        diagnostics.ThrowIfAny();
        return manifest!;
    }

    /// <summary>The root node of the single document, or null when the text is not usable YAML (reported).</summary>
    private static YamlNode? ReadYaml(string yaml, ManifestDiagnostics diagnostics)
    {
        var stream = new YamlStream();
        try
        {
            // The representation model stops at the first duplicate key; this finds and reports all of them.
            if (DuplicateKeyFinder.Report(yaml, diagnostics))
            {
                return null;
            }

            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            diagnostics.Report(diagnostics.At(e.Start), e.Message);
            return null;
        }

        if (stream.Documents.Count == 0)
        {
            diagnostics.Report(new SourceLocation(diagnostics.FilePath, 1, 1), "the manifest is empty; declare your services under 'services'");
            return null;
        }

        if (stream.Documents.Count > 1)
        {
            diagnostics.Report(stream.Documents[1].RootNode, "the manifest must be a single YAML document; remove this second one");
        }

        return stream.Documents[0].RootNode;
    }

    private static MeshManifest? ReadManifest(YamlNode root, ManifestDiagnostics diagnostics)
    {
        if (root is not YamlMappingNode mapping)
        {
            diagnostics.Report(root, "the manifest must be a mapping with 'services' (and optionally 'mesh') at the top level");
            return null;
        }

        var topLevel = new ManifestSection(mapping, owner: "", inside: "at top level", TopLevelKeys, diagnostics);
        var mesh = MeshSettingsReader.Read(topLevel);
        var services = ReadServices(mapping, topLevel, Path.GetDirectoryName(diagnostics.FilePath)!);
        ManifestCrossChecks.Check(services, mesh, diagnostics);
        var specs = MeshPortAssigner.Assign([.. services.Select(service => service.Spec)], mesh, diagnostics);
        return new MeshManifest(diagnostics.FilePath, mesh, specs);
    }

    private static List<ParsedService> ReadServices(YamlMappingNode root, ManifestSection topLevel, string manifestDirectory)
    {
        if (topLevel.Field("services") is not var (key, value))
        {
            topLevel.Report(root, "the manifest has no 'services'; declare at least one service");
            return [];
        }

        if (ManifestNodes.IsNull(value) || value is YamlMappingNode { Children.Count: 0 })
        {
            topLevel.Report(key, "'services' is empty; declare at least one service");
            return [];
        }

        if (value is not YamlMappingNode services)
        {
            topLevel.Report(value, "'services' must be a mapping from service names to their settings");
            return [];
        }

        var parsed = new List<ParsedService>();
        foreach (var (nameNode, body) in services.Children)
        {
            if (nameNode is YamlScalarNode name && !ManifestNodes.IsNull(name))
            {
                parsed.Add(ServiceSpecReader.Read(name, body, manifestDirectory, topLevel.Diagnostics));
            }
            else
            {
                topLevel.Report(nameNode, "service names must be plain names like 'orders'");
            }
        }

        return parsed;
    }

    private static ManifestException FileProblem(string path, string message) =>
        new([new ManifestError(new SourceLocation(path, 1, 1), message)]);
}
