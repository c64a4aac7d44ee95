using System.Text;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Objects;

/// <summary>
/// The labels on everything MeshDev creates in a cluster. The owner label is the multi-tenant guard: an object
/// without this developer's owner label is never changed, scaled or deleted; the mesh label tells two meshes of the
/// same developer apart (the same keys as the Docker runtime's container labels).
/// </summary>
public static class MeshLabels
{
    /// <summary>The developer who created the object (a label value: see <see cref="CurrentOwner"/>).</summary>
    public const string Owner = MeshLabelKeys.Owner;

    /// <summary>The mesh's id (<see cref="MeshDev.Runtime.MeshIdentity"/>).</summary>
    public const string Mesh = MeshLabelKeys.Mesh;

    /// <summary>The service's name in the manifest.</summary>
    public const string Service = MeshLabelKeys.Service;

    /// <summary>
    /// A hash of the settings the objects were applied with, on the Deployment and on its pod template: pods of an
    /// older configuration are never routed to, and a Deployment left by an earlier run is adopted only when it matches.
    /// </summary>
    public const string Config = MeshLabelKeys.Config;

    /// <summary>The conventional label saying which tool manages an object, for people reading <c>kubectl get</c>.</summary>
    public const string ManagedBy = "app.kubernetes.io/managed-by";

    public const string ManagedByValue = "meshdev";

    /// <summary>Annotation: the manifest the objects came from, so a clash between two meshes can name the other one.</summary>
    public const string ManifestAnnotation = MeshLabelKeys.Manifest;

    /// <summary>Annotation on a namespace MeshDev created itself (only such a namespace is deleted by <c>down --purge</c>).</summary>
    public const string CreatedAnnotation = "dev.meshdev.created";

    /// <summary>The field manager of every server-side apply, so <c>kubectl</c> shows which fields MeshDev set.</summary>
    public const string FieldManager = "meshdev";

    /// <summary>The label selector of this developer's objects of one mesh (and of one service when given).</summary>
    public static string Selector(string owner, string meshId, string? service = null) =>
        service is null ? $"{Owner}={owner},{Mesh}={meshId}" : $"{Owner}={owner},{Mesh}={meshId},{Service}={service}";

    /// <summary>
    /// The current user as a label value and namespace suffix: lowercase letters, digits and '-', at most 40
    /// characters (so <c>meshdev-{owner}</c> stays a valid namespace name), never empty.
    /// </summary>
    public static string CurrentOwner() => OwnerFrom(Environment.UserName);

    internal static string OwnerFrom(string userName)
    {
        var text = new StringBuilder();
        foreach (var c in userName.ToLowerInvariant())
        {
            text.Append(c is >= 'a' and <= 'z' or >= '0' and <= '9' ? c : '-');
        }

        var owner = text.ToString().Trim('-');
        if (owner.Length > 40)
        {
            owner = owner[..40].TrimEnd('-');
        }

        return owner.Length == 0 ? "user" : owner;
    }

    /// <summary>The dev namespace of a developer when the manifest names none.</summary>
    public static string DefaultNamespace(string owner) => $"meshdev-{owner}";
}
