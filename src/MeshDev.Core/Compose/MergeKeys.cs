using YamlDotNet.RepresentationModel;

namespace MeshDev.Compose;

/// <summary>
/// YAML merge keys (<c>&lt;&lt;: *defaults</c>, <c>&lt;&lt;: [*a, *b]</c>), which compose files use to share settings between
/// services. The representation model resolves the aliases but keeps <c>&lt;&lt;</c> as an ordinary key, so the merge is done here:
/// a mapping's own keys win over merged ones, and an earlier merged mapping wins over a later one (YAML's rule).
/// </summary>
internal static class MergeKeys
{
    /// <summary>The entries of <paramref name="mapping"/> with merges applied, in the order they are written.</summary>
    public static IReadOnlyList<(YamlScalarNode Key, YamlNode Value)> Entries(YamlMappingNode mapping, ComposeFindings findings)
    {
        var entries = new List<(YamlScalarNode Key, YamlNode Value)>();
        Collect(mapping, entries, [], new HashSet<YamlMappingNode>(ReferenceEqualityComparer.Instance), findings);
        return entries;
    }

    /// <summary>Adds the entries of <paramref name="mapping"/> whose keys are not in <paramref name="taken"/> yet.</summary>
    private static void Collect(
        YamlMappingNode mapping,
        List<(YamlScalarNode Key, YamlNode Value)> entries,
        HashSet<string> taken,
        HashSet<YamlMappingNode> open,
        ComposeFindings findings)
    {
        // An anchor merged into itself would otherwise never end.
        if (!open.Add(mapping))
        {
            return;
        }

        // The mapping's own keys are claimed before any merge is looked at, wherever the '<<' is written.
        var own = mapping.Children
            .Select(child => child.Key)
            .OfType<YamlScalarNode>()
            .Where(key => !IsMergeKey(key))
            .Select(key => key.Value ?? "")
            .Where(name => !taken.Contains(name))
            .ToHashSet(StringComparer.Ordinal);
        var claimed = new HashSet<string>(taken, StringComparer.Ordinal);
        claimed.UnionWith(own);

        foreach (var (key, value) in mapping.Children)
        {
            if (key is not YamlScalarNode scalarKey)
            {
                findings.Report(key, "keys must be plain names (ignored)");
            }
            else if (IsMergeKey(scalarKey))
            {
                foreach (var merged in Merged(value, findings))
                {
                    Collect(merged, entries, claimed, open, findings);
                }
            }
            else if (own.Contains(scalarKey.Value ?? ""))
            {
                entries.Add((scalarKey, value));
            }
        }

        taken.UnionWith(claimed);
        open.Remove(mapping);
    }

    private static IEnumerable<YamlMappingNode> Merged(YamlNode value, ComposeFindings findings)
    {
        switch (value)
        {
            case YamlMappingNode mapping:
                return [mapping];
            case YamlSequenceNode sequence when sequence.Children.All(item => item is YamlMappingNode):
                return sequence.Children.Cast<YamlMappingNode>();
            default:
                findings.Report(value, "'<<' must merge a mapping or a list of mappings (ignored)");
                return [];
        }
    }

    private static bool IsMergeKey(YamlScalarNode key) => key.Value == "<<" && key.Style is YamlDotNet.Core.ScalarStyle.Plain or YamlDotNet.Core.ScalarStyle.Any;
}
