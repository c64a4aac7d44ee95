using System.Text.Json.Nodes;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// Server-side apply's schema check: a real API server builds a typed patch from an applied object and refuses one
/// with a field its schema does not declare (a 500 <c>failed to create typed patch object (…): .spec.x: field not
/// declared in schema</c>), where a JSON merge would have dropped it silently. The stand-in's schema is the typed
/// model: a field that does not survive a round trip through it is not declared.
/// </summary>
internal static class SchemaFields
{
    /// <summary>The path of the first field of <paramref name="applied"/> that <paramref name="typed"/> (its round trip) lost, or null.</summary>
    public static string? FirstUndeclared(JsonNode? applied, JsonNode? typed, string path = "")
    {
        switch (applied)
        {
            case JsonObject fields:
                foreach (var (name, value) in fields)
                {
                    if (value is null)
                    {
                        continue; // a null asks for nothing, in any schema
                    }

                    var field = $"{path}.{name}";
                    if (typed is not JsonObject known || !known.TryGetPropertyValue(name, out var kept) || kept is null)
                    {
                        return field;
                    }

                    if (FirstUndeclared(value, kept, field) is { } deeper)
                    {
                        return deeper;
                    }
                }

                return null;
            case JsonArray items when typed is JsonArray keptItems:
                for (var i = 0; i < items.Count && i < keptItems.Count; i++)
                {
                    var key = items[i] is JsonObject item && item["name"] is JsonValue name ? $"[name=\"{name}\"]" : $"[{i}]";
                    if (FirstUndeclared(items[i], keptItems[i], path + key) is { } deeper)
                    {
                        return deeper;
                    }
                }

                return null;
            default:
                return null;
        }
    }
}
