using System.Text.Json.Nodes;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// JSON merge patch (RFC 7386), and the part of strategic merge patch (and of server-side apply) that matters for the
/// objects the runtime writes: lists of objects keyed by <c>name</c> (containers, env, ports, volumes) are merged
/// element by element instead of replaced. Other strategic directives (<c>$patch</c>, <c>$retainKeys</c>) are not read.
/// </summary>
internal static class MergePatch
{
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch, bool mergeListsByName)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : [];
        foreach (var (key, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else if (mergeListsByName && value is JsonArray patchList && result[key] is JsonArray targetList && AllNamed(patchList))
            {
                result[key] = MergeByName(targetList, patchList);
            }
            else
            {
                result[key] = Apply(result[key], value, mergeListsByName);
            }
        }

        return result;
    }

    private static bool AllNamed(JsonArray list) => list.Count > 0 && list.All(e => e is JsonObject o && o["name"] is JsonValue);

    private static JsonArray MergeByName(JsonArray target, JsonArray patch)
    {
        var merged = new JsonArray();
        var patched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var element in target)
        {
            var name = (element as JsonObject)?["name"]?.ToString();
            var replacement = name is null ? null : patch.FirstOrDefault(p => p!["name"]!.ToString() == name);
            if (replacement is not null)
            {
                patched.Add(name!);
                merged.Add(Apply(element, replacement, mergeListsByName: true));
            }
            else
            {
                merged.Add(element?.DeepClone());
            }
        }

        foreach (var element in patch.Where(p => !patched.Contains(p!["name"]!.ToString())))
        {
            merged.Add(element!.DeepClone());
        }

        return merged;
    }
}
