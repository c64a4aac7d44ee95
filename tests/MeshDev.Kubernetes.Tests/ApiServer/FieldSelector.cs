using System.Text.Json.Nodes;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// A parsed <c>fieldSelector</c> query (<c>a=b</c>, <c>a==b</c>, <c>a!=b</c>, comma-separated), limited, like the real
/// API server, to the fields each kind indexes; any other field is a 400.
/// </summary>
internal sealed class FieldSelector
{
    private readonly IReadOnlyList<(string Field, string Value, bool Equal)> _requirements;

    private FieldSelector(IReadOnlyList<(string Field, string Value, bool Equal)> requirements) => _requirements = requirements;

    public static FieldSelector Everything { get; } = new([]);

    public static FieldSelector Parse(string? text, ApiResource resource)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var requirements = new List<(string, string, bool)>();
        foreach (var part in text.Split(','))
        {
            var notEquals = part.IndexOf("!=", StringComparison.Ordinal);
            var equals = part.IndexOf('=');
            var (field, value, equal) = notEquals > 0
                ? (part[..notEquals], part[(notEquals + 2)..], false)
                : equals > 0
                    ? (part[..equals], part[(equals + (part.AsSpan(equals).StartsWith("==") ? 2 : 1))..], true)
                    : throw ApiStatusException.BadRequest($"invalid selector: '{text}'; can't understand '{part}'");
            field = field.Trim();
            if (field is not ("metadata.name" or "metadata.namespace") && !resource.SelectableFields.Contains(field))
            {
                throw ApiStatusException.BadRequest($"field label not supported: {field}");
            }

            requirements.Add((field, value.Trim(), equal));
        }

        return new FieldSelector(requirements);
    }

    public bool Matches(JsonObject json) => _requirements.All(r => (Lookup(json, r.Field) == r.Value) == r.Equal);

    private static string Lookup(JsonObject json, string field)
    {
        // "source" selects an event's reporting component, the one field whose name is not its JSON path.
        var path = field == "source" ? "source.component" : field;
        JsonNode? node = json;
        foreach (var segment in path.Split('.'))
        {
            node = node is JsonObject o ? o[segment] : null;
        }

        return node is JsonValue value ? value.ToString() : "";
    }
}
