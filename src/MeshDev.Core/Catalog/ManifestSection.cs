using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Catalog;

/// <summary>
/// One mapping of the manifest (top level, <c>mesh</c>, a service, its <c>ready</c> or <c>routes</c>):
/// looks up its keys, reports unknown ones, and reads typed values with messages that name the field and its owner.
/// </summary>
internal sealed class ManifestSection
{
    private readonly Dictionary<string, (YamlScalarNode Key, YamlNode Value)> _fields = new(StringComparer.Ordinal);
    private readonly HashSet<string> _suggested = new(StringComparer.Ordinal);
    private readonly string _owner;

    /// <param name="mapping">The mapping to read; null reads as empty (every key absent).</param>
    /// <param name="owner">How a field's owner is named after the key, e.g. <c>of service 'orders'</c>; empty at the top level.</param>
    /// <param name="inside">How the mapping is named in "unknown key" messages, e.g. <c>in service 'orders'</c>.</param>
    /// <param name="keys">The keys this mapping may hold, in the order they are documented.</param>
    /// <param name="allowExtensions">True where keys starting with <c>x-</c> are ignored, so anchors can be defined there.</param>
    public ManifestSection(YamlMappingNode? mapping, string owner, string inside, ImmutableArray<string> keys, ManifestDiagnostics diagnostics, bool allowExtensions = false)
    {
        _owner = owner;
        Diagnostics = diagnostics;
        if (mapping is null)
        {
            return;
        }

        foreach (var (keyNode, value) in MergeKeys.Entries(mapping, ReportBadMerge))
        {
            if (keyNode is not YamlScalarNode { Value: { } key } scalarKey || ManifestNodes.IsNull(keyNode))
            {
                diagnostics.Report(keyNode, $"keys {inside} must be plain names");
            }
            else if (allowExtensions && key.StartsWith("x-", StringComparison.Ordinal))
            {
                continue;
            }
            else if (!keys.Contains(key))
            {
                var near = NearestName.Find(key, keys);
                if (near is not null)
                {
                    _suggested.Add(near);
                }

                diagnostics.Report(keyNode, near is not null
                    ? $"unknown key '{key}' {inside}; did you mean '{near}'?"
                    : $"unknown key '{key}' {inside} (expected one of: {string.Join(", ", keys)})");
            }
            else
            {
                _fields[key] = (scalarKey, value);
            }
        }
    }

    public ManifestDiagnostics Diagnostics { get; }

    public bool Has(string key) => _fields.ContainsKey(key);

    /// <summary>True when an unknown key was reported as a misspelling of <paramref name="key"/> ("did you mean"), so that its absence needs no second message.</summary>
    public bool Misspelt(string key) => _suggested.Contains(key);

    /// <summary>The key and raw value of <paramref name="key"/>, empty values included; null when absent.</summary>
    public (YamlScalarNode Key, YamlNode Value)? Field(string key) => _fields.TryGetValue(key, out var field) ? field : null;

    /// <summary>The key node of <paramref name="key"/>, to point messages about the field as a whole at it.</summary>
    public YamlScalarNode? KeyNode(string key) => _fields.TryGetValue(key, out var field) ? field.Key : null;

    /// <summary>The field's name as messages show it, e.g. <c>'port' of service 'orders'</c>.</summary>
    public string Describe(string key) => _owner.Length == 0 ? $"'{key}'" : $"'{key}' {_owner}";

    public void Report(YamlNode node, string message) => Diagnostics.Report(node, message);

    /// <summary>Reports a <c>&lt;&lt;</c> whose value is not a mapping or a list of mappings.</summary>
    public void ReportBadMerge(YamlNode value, string problem) =>
        Diagnostics.Report(value, $"{problem}; anchor a mapping with '&name' and merge it with '<<: *name'");

    /// <summary>The value node of <paramref name="key"/>; null when absent, or when empty (reported: a written key needs a value).</summary>
    public YamlNode? Value(string key)
    {
        if (!_fields.TryGetValue(key, out var field))
        {
            return null;
        }

        if (ManifestNodes.IsNull(field.Value))
        {
            Report(field.Key, $"{Describe(key)} has no value");
            return null;
        }

        return field.Value;
    }

    /// <summary>The scalar text of <paramref name="key"/>; null when absent or not a scalar (reported as "must be <paramref name="expected"/>").</summary>
    public YamlScalarNode? Scalar(string key, string expected)
    {
        switch (Value(key))
        {
            case null:
                return null;
            case YamlScalarNode scalar:
                return scalar;
            case var other:
                Report(other, $"{Describe(key)} must be {expected}");
                return null;
        }
    }

    public string? Text(string key) => Scalar(key, "a string")?.Value;

    /// <summary>A port number 1..65535, or null when absent or invalid (reported).</summary>
    public int? Port(string key)
    {
        const string Expected = "a number from 1 to 65535";
        if (Scalar(key, Expected) is not { } scalar)
        {
            return null;
        }

        if (ManifestValues.TryParsePort(scalar.Value!, out var port))
        {
            return port;
        }

        Report(scalar, $"{Describe(key)} must be {Expected}");
        return null;
    }

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>, or null when absent or invalid (reported).</summary>
    public int? Integer(string key, int min, int max)
    {
        var expected = $"a whole number from {min} to {max}";
        if (Scalar(key, expected) is not { } scalar)
        {
            return null;
        }

        if (int.TryParse(scalar.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value)
            && value >= min && value <= max)
        {
            return value;
        }

        Report(scalar, $"{Describe(key)} must be {expected}");
        return null;
    }

    public bool? Bool(string key)
    {
        const string Expected = "true or false";
        if (Scalar(key, Expected) is not { } scalar)
        {
            return null;
        }

        if (ManifestValues.TryParseBool(scalar.Value!, out var value))
        {
            return value;
        }

        Report(scalar, $"{Describe(key)} must be {Expected}");
        return null;
    }

    /// <summary>A mapping value; null when absent or not a mapping (reported as "must be <paramref name="expected"/>").</summary>
    public YamlMappingNode? Mapping(string key, string expected)
    {
        switch (Value(key))
        {
            case null:
                return null;
            case YamlMappingNode mapping:
                return mapping;
            case var other:
                Report(other, $"{Describe(key)} must be {expected}");
                return null;
        }
    }

    /// <summary>A list of strings with each item's node, so later checks can point at the item; empty when absent or invalid (reported).</summary>
    public ImmutableArray<YamlScalarNode> Strings(string key)
    {
        switch (Value(key))
        {
            case null:
                return [];
            case YamlSequenceNode sequence:
                return ReadItems(key, sequence);
            case var other:
                Report(other, $"{Describe(key)} must be a list");
                return [];
        }
    }

    private ImmutableArray<YamlScalarNode> ReadItems(string key, YamlSequenceNode sequence)
    {
        var items = ImmutableArray.CreateBuilder<YamlScalarNode>();
        foreach (var item in sequence.Children)
        {
            if (ManifestNodes.IsNull(item))
            {
                Report(item, $"{Describe(key)} has an empty item; write \"\" for an empty string");
            }
            else if (item is YamlScalarNode scalar)
            {
                items.Add(scalar);
            }
            else
            {
                Report(item, $"{Describe(key)} must be a list of strings");
            }
        }

        return items.ToImmutable();
    }
}
