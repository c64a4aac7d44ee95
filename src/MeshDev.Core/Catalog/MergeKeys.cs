using YamlDotNet.RepresentationModel;

namespace MeshDev.Catalog;

/// <summary>
/// YAML merge keys (<c>&lt;&lt;: *defaults</c>, <c>&lt;&lt;: [*a, *b]</c>), which the manifest and compose files use to share settings
/// between services. The representation model resolves the aliases but keeps <c>&lt;&lt;</c> as an ordinary key, so the merge is done
/// here: a mapping's own keys win over merged ones, and an earlier merged mapping wins over a later one (YAML's rule).
/// </summary>
internal static class MergeKeys
{
    /// <summary>What is reported, at the merged value, when a <c>&lt;&lt;</c> merges something other than mappings.</summary>
    public const string NotAMapping = "'<<' must merge a mapping or a list of mappings";

    /// <summary>
    /// The entries of <paramref name="mapping"/> with merges applied, in the order they are written; keys that are not
    /// scalars are passed on for the caller to judge. A bad merge is reported through <paramref name="report"/>.
    /// </summary>
    public static IReadOnlyList<(YamlNode Key, YamlNode Value)> Entries(YamlMappingNode mapping, Action<YamlNode, string> report)
    {
        var entries = new List<(YamlNode Key, YamlNode Value)>();
        Collect(mapping, entries, [], new HashSet<YamlMappingNode>(ReferenceEqualityComparer.Instance), report);
        return entries;
    }

    /// <summary>Adds the entries of <paramref name="mapping"/> whose keys are not in <paramref name="taken"/> yet.</summary>
    private static void Collect(
        YamlMappingNode mapping,
        List<(YamlNode Key, YamlNode Value)> entries,
        HashSet<string> taken,
        HashSet<YamlMappingNode> open,
        Action<YamlNode, string> report)
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
                entries.Add((key, value));
            }
            else if (IsMergeKey(scalarKey))
            {
                foreach (var merged in Merged(value, report))
                {
                    Collect(merged, entries, claimed, open, report);
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

    private static IEnumerable<YamlMappingNode> Merged(YamlNode value, Action<YamlNode, string> report)
    {
        switch (value)
        {
            case YamlMappingNode mapping:
                return [mapping];
            case YamlSequenceNode sequence when sequence.Children.All(item => item is YamlMappingNode):
                return sequence.Children.Cast<YamlMappingNode>();
            default:
                report(value, NotAMapping);
                return [];
        }
    }

    private static bool IsMergeKey(YamlScalarNode key) => key.Value == "<<" && key.Style is YamlDotNet.Core.ScalarStyle.Plain or YamlDotNet.Core.ScalarStyle.Any;
}
