using System.Text.Json.Nodes;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>JSON patch (RFC 6902): <c>add</c>, <c>remove</c>, <c>replace</c>, <c>move</c>, <c>copy</c>, <c>test</c>.</summary>
internal static class JsonPatch
{
    public static JsonNode Apply(JsonNode target, JsonNode? patch)
    {
        if (patch is not JsonArray operations)
        {
            throw ApiStatusException.BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
        }

        var document = target.DeepClone();
        foreach (var operation in operations.OfType<JsonObject>())
        {
            var op = operation["op"]?.ToString();
            var path = operation["path"]?.ToString() ?? throw Failed("missing path");
            switch (op)
            {
                case "add":
                    Add(document, path, operation["value"]?.DeepClone());
                    break;
                case "remove":
                    Remove(document, path);
                    break;
                case "replace":
                    Remove(document, path);
                    Add(document, path, operation["value"]?.DeepClone());
                    break;
                case "move":
                    var moved = Get(document, operation["from"]?.ToString() ?? throw Failed("missing from"));
                    Remove(document, operation["from"]!.ToString());
                    Add(document, path, moved);
                    break;
                case "copy":
                    Add(document, path, Get(document, operation["from"]?.ToString() ?? throw Failed("missing from"))?.DeepClone());
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(document, path), operation["value"]))
                    {
                        throw Failed($"testing value {path} failed");
                    }

                    break;
                default:
                    throw Failed($"Unexpected kind: {op}");
            }
        }

        return document;
    }

    private static JsonNode? Get(JsonNode document, string path)
    {
        var (parent, key) = Parent(document, path);
        return parent switch
        {
            JsonObject o when o.TryGetPropertyValue(key, out var value) => value,
            JsonArray a when int.TryParse(key, out var i) && i >= 0 && i < a.Count => a[i],
            _ => throw Failed($"the path \"{path}\" does not exist"),
        };
    }

    private static void Add(JsonNode document, string path, JsonNode? value)
    {
        var (parent, key) = Parent(document, path);
        switch (parent)
        {
            case JsonObject o:
                o[key] = value;
                break;
            case JsonArray a when key == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(key, out var i) && i >= 0 && i <= a.Count:
                a.Insert(i, value);
                break;
            default:
                throw Failed($"the path \"{path}\" does not exist");
        }
    }

    private static void Remove(JsonNode document, string path)
    {
        var (parent, key) = Parent(document, path);
        var removed = parent switch
        {
            JsonObject o => o.Remove(key),
            JsonArray a when int.TryParse(key, out var i) && i >= 0 && i < a.Count => RemoveAt(a, i),
            _ => false,
        };
        if (!removed)
        {
            throw Failed($"the path \"{path}\" does not exist");
        }
    }

    private static bool RemoveAt(JsonArray array, int index)
    {
        array.RemoveAt(index);
        return true;
    }

    private static (JsonNode Parent, string Key) Parent(JsonNode document, string path)
    {
        if (!path.StartsWith('/'))
        {
            throw Failed($"invalid path {path}");
        }

        var segments = path[1..].Split('/').Select(s => s.Replace("~1", "/").Replace("~0", "~")).ToArray();
        var node = document;
        foreach (var segment in segments[..^1])
        {
            node = node switch
            {
                JsonObject o when o[segment] is { } child => child,
                JsonArray a when int.TryParse(segment, out var i) && i >= 0 && i < a.Count && a[i] is { } child => child,
                _ => throw Failed($"the path \"{path}\" does not exist"),
            };
        }

        return (node, segments[^1]);
    }

    private static ApiStatusException Failed(string message) => ApiStatusException.PatchFailed(message);
}
