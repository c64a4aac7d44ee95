using MeshDev.Runtime;

namespace MeshDev.Docker;

/// <summary>
/// The labels every container of a mesh carries. The mesh label is what <c>meshdev down</c>, a restarted daemon and
/// the idle logic select by; a container without this mesh's id is never stopped, removed or adopted.
/// </summary>
public static class ContainerLabels
{
    /// <summary>The mesh's id (<see cref="MeshDev.Runtime.MeshIdentity"/>).</summary>
    public const string Mesh = MeshLabelKeys.Mesh;

    /// <summary>The service's name in the manifest.</summary>
    public const string Service = MeshLabelKeys.Service;

    /// <summary>The user who ran the mesh.</summary>
    public const string Owner = MeshLabelKeys.Owner;

    /// <summary>The manifest the container was launched from, for people reading <c>docker ps</c>.</summary>
    public const string Manifest = MeshLabelKeys.Manifest;

    /// <summary>A hash of the settings the container was created with; a container whose settings changed is replaced, not reused.</summary>
    public const string Config = MeshLabelKeys.Config;

    /// <summary>The port on the host's loopback where the container answers.</summary>
    public const string HostPort = "dev.meshdev.port";

    /// <summary>The Docker API filter selecting the containers of one mesh (and of one service when given).</summary>
    public static IDictionary<string, IDictionary<string, bool>> Filter(string meshId, string? service = null)
    {
        var labels = new Dictionary<string, bool> { [$"{Mesh}={meshId}"] = true };
        if (service is not null)
        {
            labels[$"{Service}={service}"] = true;
        }

        return new Dictionary<string, IDictionary<string, bool>> { ["label"] = labels };
    }

    /// <summary>The container name for a service of a mesh: readable in <c>docker ps</c>, unique per mesh.</summary>
    public static string ContainerName(string meshId, string service) => $"meshdev-{meshId}-{service}";
}
