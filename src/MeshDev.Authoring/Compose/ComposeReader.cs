using MeshDev.Catalog;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Authoring.Compose;

/// <summary>
/// Reads values out of the compose tree the way compose sees them: scalars with their variables substituted, mappings
/// with their merge keys applied. A scalar is substituted once, so a variable missing inside an anchor that several
/// services merge is reported once, at the place it is written.
/// </summary>
internal sealed class ComposeReader(ManifestDiagnostics findings, Interpolation interpolation)
{
    private readonly Dictionary<YamlScalarNode, string> _texts = new(ReferenceEqualityComparer.Instance);

    /// <summary>The import's findings: warnings about what was changed or left out, never errors.</summary>
    public ManifestDiagnostics Findings => findings;

    public Interpolation Interpolation => interpolation;

    public void Report(YamlNode node, string message) => findings.Report(node, message);

    /// <summary>The substituted text of a scalar; null for YAML null and for anything that is not a scalar.</summary>
    public string? Text(YamlNode node)
    {
        if (node is not YamlScalarNode scalar || ManifestNodes.IsNull(scalar))
        {
            return null;
        }

        if (!_texts.TryGetValue(scalar, out var text))
        {
            text = interpolation.Substitute(scalar.Value ?? "", message => findings.Report(scalar, message));
            _texts[scalar] = text;
        }

        return text;
    }

    /// <summary>The entries of a mapping with its merge keys applied, in the order they are written.</summary>
    public IReadOnlyList<(YamlScalarNode Key, YamlNode Value)> Entries(YamlMappingNode mapping)
    {
        var entries = new List<(YamlScalarNode Key, YamlNode Value)>();
        foreach (var (key, value) in MergeKeys.Entries(mapping, (node, message) => findings.Report(node, $"{message} (ignored)")))
        {
            if (key is YamlScalarNode scalarKey)
            {
                entries.Add((scalarKey, value));
            }
            else
            {
                findings.Report(key, "keys must be plain names (ignored)");
            }
        }

        return entries;
    }

    /// <summary>A scalar's text, or null (reported as "<paramref name="path"/> must be <paramref name="expected"/>") when it is something else.</summary>
    public string? Scalar(YamlNode value, string path, string expected)
    {
        if (value is YamlScalarNode && Text(value) is { } text)
        {
            return text;
        }

        findings.Report(value, $"{path} must be {expected} (ignored)");
        return null;
    }

    /// <summary>The items of a list, or none (reported) when the value is something else.</summary>
    public IReadOnlyList<YamlNode> Items(YamlNode value, string path)
    {
        if (value is YamlSequenceNode sequence)
        {
            return [.. sequence.Children];
        }

        findings.Report(value, $"{path} must be a list (ignored)");
        return [];
    }
}
