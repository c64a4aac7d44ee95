using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>Reads request bodies: objects in JSON or YAML, patches, and the checks the API server makes on them.</summary>
internal static class RequestBodies
{
    public const string JsonPatch = "application/json-patch+json";
    public const string MergePatch = "application/merge-patch+json";
    public const string StrategicMergePatch = "application/strategic-merge-patch+json";
    public const string ApplyPatch = "application/apply-patch+yaml";

    public static async Task<string> ReadTextAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    /// <summary>The media type without parameters (<c>application/merge-patch+json</c>).</summary>
    public static string MediaType(HttpRequest request) => (request.ContentType ?? "").Split(';')[0].Trim().ToLowerInvariant();

    /// <summary>An object body as JSON: parsed as JSON, or (for YAML media types and apply patches) as YAML.</summary>
    public static JsonObject ObjectJson(ApiResource resource, string text, string mediaType)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw ApiStatusException.BadRequest("the request body is empty");
        }

        // JSON is YAML too: clients (KubernetesClient among them) send apply patches as JSON.
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('{') || !(mediaType.Contains("yaml", StringComparison.Ordinal)))
        {
            return JsonNode.Parse(text) as JsonObject ?? throw ApiStatusException.BadRequest("the request body is not a JSON object");
        }

        return resource.ToJson(resource.FromYaml(text));
    }

    public static JsonNode? PatchJson(string text) =>
        string.IsNullOrWhiteSpace(text) ? throw ApiStatusException.BadRequest("the request body is empty") : JsonNode.Parse(text);

    /// <summary>A body's <c>apiVersion</c> and <c>kind</c>, when given, must be the resource's.</summary>
    public static void CheckKind(ApiResource resource, JsonObject json, bool required)
    {
        var apiVersion = json["apiVersion"]?.ToString();
        var kind = json["kind"]?.ToString();
        if (required && (string.IsNullOrEmpty(apiVersion) || string.IsNullOrEmpty(kind)))
        {
            throw ApiStatusException.BadRequest(
                $"invalid object type: {apiVersion}, Kind={kind}: an apply patch must carry apiVersion {resource.ApiVersion} and kind {resource.Kind}");
        }

        if (!string.IsNullOrEmpty(apiVersion) && apiVersion != resource.ApiVersion)
        {
            throw ApiStatusException.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({resource.ApiVersion})");
        }

        if (!string.IsNullOrEmpty(kind) && kind != resource.Kind)
        {
            throw ApiStatusException.BadRequest($"the kind in the data ({kind}) does not match the expected kind ({resource.Kind})");
        }
    }

    /// <summary>The object's namespace must be the request's (or empty, then it becomes the request's).</summary>
    public static void PlaceIn(IKubernetesObject<V1ObjectMeta> value, ApiResource resource, string? @namespace)
    {
        var metadata = value.Metadata ??= new V1ObjectMeta();
        if (!resource.Namespaced)
        {
            return;
        }

        if (!string.IsNullOrEmpty(metadata.NamespaceProperty) && metadata.NamespaceProperty != @namespace)
        {
            throw ApiStatusException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        metadata.NamespaceProperty = @namespace;
    }

    public static void CheckName(IKubernetesObject<V1ObjectMeta> value, string name)
    {
        var metadata = value.Metadata ??= new V1ObjectMeta();
        if (string.IsNullOrEmpty(metadata.Name))
        {
            metadata.Name = name;
        }
        else if (metadata.Name != name)
        {
            throw ApiStatusException.BadRequest($"the name of the object ({metadata.Name}) does not match the name on the URL ({name})");
        }
    }
}
