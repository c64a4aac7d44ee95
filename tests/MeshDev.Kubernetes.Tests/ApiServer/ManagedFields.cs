using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// <c>metadata.managedFields</c>: one entry per manager, operation (<c>Apply</c> or <c>Update</c>) and subresource, so
/// that a test can see which field manager wrote an object. The field sets themselves are left empty.
/// </summary>
internal static class ManagedFields
{
    public const string Apply = "Apply";
    public const string Update = "Update";

    public static void Record(
        IKubernetesObject<V1ObjectMeta> value, IKubernetesObject<V1ObjectMeta>? current, string manager, string operation,
        string apiVersion, DateTime now, string? subresource = null)
    {
        var entries = (current?.Metadata.ManagedFields ?? [])
            .Where(e => !(e.Manager == manager && e.Operation == operation && e.Subresource == subresource))
            .ToList();
        entries.Add(new V1ManagedFieldsEntry
        {
            Manager = manager,
            Operation = operation,
            ApiVersion = apiVersion,
            Time = now,
            FieldsType = "FieldsV1",
            FieldsV1 = new JsonObject(),
            Subresource = subresource,
        });
        value.Metadata.ManagedFields = entries;
    }

    /// <summary>The <c>fieldManager</c> query parameter, else (as the API server does) the client's User-Agent up to its first '/'.</summary>
    public static string ManagerOf(Microsoft.AspNetCore.Http.HttpRequest request)
    {
        var fieldManager = request.Query["fieldManager"].ToString();
        if (fieldManager.Length > 0)
        {
            return fieldManager;
        }

        var userAgent = request.Headers.UserAgent.ToString();
        var slash = userAgent.IndexOf('/');
        return slash > 0 ? userAgent[..slash] : userAgent.Length > 0 ? userAgent : "unknown";
    }
}
