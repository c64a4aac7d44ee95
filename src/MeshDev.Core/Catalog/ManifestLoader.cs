using System.Collections.Immutable;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Catalog;

/// <summary>Loads <c>meshdev.yaml</c> into a validated <see cref="MeshManifest"/>, or throws one <see cref="ManifestException"/> listing every problem.</summary>
public static class ManifestLoader
{
    private static readonly ImmutableArray<string> TopLevelKeys = ["mesh", "services"];

    /// <summary>
    /// How much text a manifest may hold: a thousand commented services take well under 1 MB. Past this, reading
    /// stops, so that <c>-f /dev/zero</c> or a wrong multi-gigabyte file ends in one sentence instead of filling the
    /// memory.
    /// </summary>
    internal const int MaxChars = 8 * 1024 * 1024;

    /// <summary>Reads and validates the manifest at <paramref name="path"/>.</summary>
    /// <exception cref="ManifestException">The file is missing, unreadable or invalid.</exception>
    public static MeshManifest Load(string path)
    {
        var fullPath = Path.GetFullPath(path);
        string yaml;
        try
        {
            yaml = ReadBounded(fullPath);
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
        var manifest = ManifestYaml.Load(yaml, diagnostics) is { } root ? ReadManifest(root, diagnostics) : null;
        diagnostics.ThrowIfAny();
        return manifest!;
    }

    private static MeshManifest? ReadManifest(YamlNode root, ManifestDiagnostics diagnostics)
    {
        if (root is not YamlMappingNode mapping)
        {
            diagnostics.Report(root, "the manifest must be a mapping with 'services' (and optionally 'mesh') at the top level");
            return null;
        }

        // x- keys are free for anchors to share (x-defaults: &defaults …), as in compose files.
        var topLevel = new ManifestSection(mapping, owner: "", inside: "at top level", TopLevelKeys, diagnostics, allowExtensions: true);
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
        foreach (var (nameNode, body) in MergeKeys.Entries(services, topLevel.ReportBadMerge))
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

    private static string ReadBounded(string path)
    {
        using var reader = new StreamReader(path, detectEncodingFromByteOrderMarks: true);
        var text = new StringBuilder();
        var buffer = new char[64 * 1024];
        int read;
        while ((read = reader.Read(buffer, 0, buffer.Length)) > 0)
        {
            if (text.Length + read > MaxChars)
            {
                throw FileProblem(path, $"the manifest file holds more than {MaxChars / (1024 * 1024)} MB of text, far more than any manifest; pass the right file with -f");
            }

            text.Append(buffer, 0, read);
        }

        return text.ToString();
    }

    private static ManifestException FileProblem(string path, string message) =>
        new([new ManifestError(new SourceLocation(path, 1, 1), message)]);
}
