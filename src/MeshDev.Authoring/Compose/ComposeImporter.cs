using System.Collections.Immutable;
using System.Text;
using MeshDev.Catalog;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Authoring.Compose;

/// <summary>
/// Turns a Docker Compose file into a MeshDev manifest of <c>runtime: docker</c> services. Reads nothing but its inputs
/// (the compose text, and through <see cref="ComposeSources"/> the variables and env files it refers to) and writes nothing.
/// </summary>
public static class ComposeImporter
{
    // Keys of the compose file's top level that need no finding: the schema version compose itself ignores, and the project name.
    private static readonly ImmutableHashSet<string> QuietTopLevelKeys = ["version", "name", "services"];

    // Compose reads only the first document of a file, so a second one is a warning, not an error as in a manifest.
    private static readonly YamlFileKind ComposeFile = new(
        "compose file",
        "the file is empty; a compose file declares its services under 'services'",
        "only the first YAML document is imported (this one is ignored)");

    private static readonly ImmutableDictionary<string, string> IgnoredBecause = new Dictionary<string, string>
    {
        ["volumes"] = "named volumes are created by Docker when a service first uses them",
        ["networks"] = "services run on the host network and reach each other through the mesh",
    }.ToImmutableDictionary();

    /// <summary>Imports <paramref name="composeYaml"/>.</summary>
    /// <param name="composePath">The compose file as the user named it: findings show it, env files and <c>.env</c> are next to it.</param>
    /// <param name="manifestDirectory">Where the manifest will be written, so relative host paths still point at the same folders; default: the compose file's folder.</param>
    /// <param name="sources">Environment variables and files; default: the process environment and the file system.</param>
    public static ComposeImportResult Import(string composeYaml, string composePath, string? manifestDirectory = null, ComposeSources? sources = null)
    {
        sources ??= ComposeSources.System;
        var findings = new ManifestDiagnostics(composePath);
        if (ReadRoot(composeYaml, findings) is not { } root)
        {
            return new ComposeImportResult(null, 0, Warnings(findings));
        }

        var composeDirectory = Path.GetDirectoryName(composePath) ?? "";
        var composeFullDirectory = Path.GetDirectoryName(Path.GetFullPath(composePath))!;
        var reader = new ComposeReader(findings, new Interpolation(Variables(sources, composeDirectory, findings)));
        if (ServicesOf(root, reader) is not { } services)
        {
            return new ComposeImportResult(null, 0, Warnings(findings));
        }

        var entries = reader.Entries(services);
        var names = ServiceNames.Assign([.. entries.Select(entry => entry.Key.Value ?? "")]);
        var context = new ImportContext
        {
            Reader = reader,
            Sources = sources,
            ComposeDirectory = composeDirectory,
            ComposeFullDirectory = composeFullDirectory,
            ManifestFullDirectory = manifestDirectory is null ? composeFullDirectory : Path.GetFullPath(manifestDirectory),
            ProjectName = ProjectName(root, reader, sources, composeFullDirectory),
            ServiceNames = names,
        };

        var imported = new List<ImportedService>();
        foreach (var (nameNode, body) in entries)
        {
            var composeName = nameNode.Value ?? "";
            if (names[composeName] != composeName)
            {
                findings.Report(nameNode, $"services.{composeName} is named {names[composeName]} in the manifest: service names must be DNS labels (lowercase letters, digits and '-')");
            }

            if (ServiceImporter.Import(context, nameNode, body) is { } service)
            {
                imported.Add(service);
            }
        }

        PortCollisions.Report(imported, findings);
        var (rewritten, rewrites) = HostNameRewriter.Rewrite(imported);
        var manifest = ManifestWriter.Write(Path.GetFileName(composePath), rewritten);
        return new ComposeImportResult(manifest, imported.Count, Warnings(findings)) { Rewrites = rewrites };
    }

    /// <summary>What the import found, as warnings: the manifest is still written.</summary>
    private static ImmutableArray<ComposeFinding> Warnings(ManifestDiagnostics findings) =>
        [.. findings.Found.Select(found => new ComposeFinding(found.Location, found.Message))];

    /// <summary>The first document's root mapping; null when the text is not YAML or not a mapping (reported).</summary>
    private static YamlMappingNode? ReadRoot(string yaml, ManifestDiagnostics findings)
    {
        switch (ManifestYaml.Load(yaml, findings, ComposeFile))
        {
            case null:
                return null;
            case YamlMappingNode root:
                return root;
            case var node:
                findings.Report(node, "not a compose file: the top level must be a mapping with 'services'");
                return null;
        }
    }

    /// <summary>The <c>services</c> mapping; null when it is missing, empty or not a mapping (reported). Reports the other top-level keys.</summary>
    private static YamlMappingNode? ServicesOf(YamlMappingNode root, ComposeReader reader)
    {
        YamlNode? services = null;
        YamlScalarNode? servicesKey = null;
        foreach (var (key, value) in reader.Entries(root))
        {
            var name = key.Value ?? "";
            if (name == "services")
            {
                (servicesKey, services) = (key, value);
            }
            else if (name.StartsWith("x-", StringComparison.Ordinal))
            {
                reader.Report(key, $"{name} is an extension field (ignored; anchors defined in it apply where they are used)");
            }
            else if (!QuietTopLevelKeys.Contains(name))
            {
                reader.Report(key, IgnoredBecause.TryGetValue(name, out var why) ? $"{name} is not supported (ignored): {why}" : $"{name} is not supported (ignored)");
            }
        }

        switch (services)
        {
            case null:
                reader.Report(root, "not a compose file: it has no 'services'");
                return null;
            case YamlMappingNode { Children.Count: > 0 } mapping:
                return mapping;
            case YamlMappingNode:
            case var _ when ManifestNodes.IsNull(services):
                reader.Report(servicesKey!, "'services' is empty; there is nothing to import");
                return null;
            default:
                reader.Report(services, "'services' must be a mapping from service names to their settings");
                return null;
        }
    }

    /// <summary>
    /// The variables <c>${VAR}</c> reads: the process environment, then the <c>.env</c> file next to the compose file
    /// (compose's order: the shell wins).
    /// </summary>
    private static Func<string, string?> Variables(ComposeSources sources, string composeDirectory, ManifestDiagnostics findings)
    {
        var dotEnvPath = Path.Join(composeDirectory, ".env");
        var dotEnv = new Dictionary<string, string>(StringComparer.Ordinal);
        string? text;
        try
        {
            text = sources.ReadFile(dotEnvPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            findings.Report(new SourceLocation(dotEnvPath, 1, 1), $"cannot be read: {e.Message} (ignored)");
            text = null;
        }

        if (text is not null)
        {
            var entries = EnvFile.Parse(
                text, (line, column, message) => findings.Report(new SourceLocation(dotEnvPath, line, column), message));
            foreach (var entry in entries)
            {
                if (entry.Value is { } value)
                {
                    dotEnv[entry.Name] = value;
                }
            }
        }

        return name => sources.Variable(name) ?? dotEnv.GetValueOrDefault(name);
    }

    /// <summary>
    /// Compose's project name: <c>COMPOSE_PROJECT_NAME</c>, else the top-level <c>name</c>, else the compose file's folder;
    /// lowercased and stripped to the characters compose keeps (letters, digits, '_' and '-').
    /// </summary>
    private static string ProjectName(YamlMappingNode root, ComposeReader reader, ComposeSources sources, string composeFullDirectory)
    {
        var declared = reader.Entries(root).Where(entry => entry.Key.Value == "name").Select(entry => reader.Text(entry.Value)).FirstOrDefault();
        var name = sources.Variable("COMPOSE_PROJECT_NAME") is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : declared is { Length: > 0 } ? declared : Path.GetFileName(composeFullDirectory);
        var project = new StringBuilder();
        foreach (var c in name.ToLowerInvariant())
        {
            if (char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || (project.Length > 0 && c is '_' or '-'))
            {
                project.Append(c);
            }
        }

        return project.Length > 0 ? project.ToString() : "default";
    }
}
