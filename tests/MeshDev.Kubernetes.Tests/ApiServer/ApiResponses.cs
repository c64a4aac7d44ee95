using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>Writes objects, lists and <c>Status</c> bodies as the API server serves them (<c>application/json</c>).</summary>
internal static class ApiResponses
{
    /// <summary>Escaping as Go's encoder does it (<c>\"</c>, not <c>\u0022</c>), so bodies read like the API server's.</summary>
    public static JsonSerializerOptions GoLikeEscaping { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Task WriteObjectAsync(HttpContext context, int statusCode, IKubernetesObject<V1ObjectMeta> value) =>
        WriteJsonAsync(context, statusCode, JsonNode.Parse(KubernetesJson.Serialize(value))!.ToJsonString(GoLikeEscaping));

    /// <summary>A <c>{Kind}List</c>; like the API server, the items carry no <c>kind</c> and <c>apiVersion</c> of their own.</summary>
    public static Task WriteListAsync(HttpContext context, ApiResource resource, IEnumerable<IKubernetesObject<V1ObjectMeta>> items, long version)
    {
        var list = new JsonArray();
        foreach (var item in items)
        {
            var json = resource.ToJson(item);
            json.Remove("kind");
            json.Remove("apiVersion");
            list.Add(json);
        }

        var body = new JsonObject
        {
            ["kind"] = resource.ListKind,
            ["apiVersion"] = resource.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = version.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            ["items"] = list,
        };
        return WriteJsonAsync(context, 200, body.ToJsonString(GoLikeEscaping));
    }

    public static Task WriteStatusAsync(HttpContext context, V1Status status) =>
        WriteJsonAsync(context, status.Code ?? 500, StatusJson(status).ToJsonString(GoLikeEscaping));

    /// <summary>The <c>Status</c> a delete answers with when it does not answer with the object.</summary>
    public static Task WriteDeletedAsync(HttpContext context, ApiResource resource, IKubernetesObject<V1ObjectMeta> deleted) =>
        WriteStatusAsync(context, new V1Status
        {
            Status = "Success",
            Code = 200,
            Details = new V1StatusDetails
            {
                Name = deleted.Metadata.Name,
                Group = resource.Group.Length == 0 ? null : resource.Group,
                Kind = resource.Plural,
                Uid = deleted.Metadata.Uid,
            },
        });

    /// <summary>
    /// A <c>Status</c> as JSON. Written by hand: KubernetesClient's converter for <see cref="V1Status"/> only reads.
    /// </summary>
    public static JsonObject StatusJson(V1Status status)
    {
        var json = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = status.Status,
        };
        if (status.Message is not null)
        {
            json["message"] = status.Message;
        }

        if (status.Reason is not null)
        {
            json["reason"] = status.Reason;
        }

        if (status.Details is { } details)
        {
            var detailsJson = new JsonObject();
            AddIfSet(detailsJson, "name", details.Name);
            AddIfSet(detailsJson, "group", details.Group);
            AddIfSet(detailsJson, "kind", details.Kind);
            AddIfSet(detailsJson, "uid", details.Uid);
            if (details.Causes is { Count: > 0 } causes)
            {
                detailsJson["causes"] = new JsonArray(causes.Select(c => (JsonNode)new JsonObject
                {
                    ["reason"] = c.Reason,
                    ["message"] = c.Message,
                    ["field"] = c.Field,
                }).ToArray());
            }

            json["details"] = detailsJson;
        }

        json["code"] = status.Code;
        return json;
    }

    public static async Task WriteJsonAsync(HttpContext context, int statusCode, string json)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(json), context.RequestAborted);
    }

    private static void AddIfSet(JsonObject json, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            json[name] = value;
        }
    }
}
