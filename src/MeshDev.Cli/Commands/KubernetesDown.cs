using MeshDev.Catalog;
using MeshDev.Daemon.State;
using MeshDev.Kubernetes;
using MeshDev.Runtime;
using MeshDev.Text;

namespace MeshDev.Cli.Commands;

/// <summary>
/// The Kubernetes part of <c>meshdev down</c>: every Deployment of the mesh scaled to 0 (also after the daemon was
/// killed), or with <c>--purge</c> every object of the mesh deleted, and the dev namespace when MeshDev created it
/// and nothing else lives there. Asks a cluster only when the manifest has Kubernetes services.
/// </summary>
internal static class KubernetesDown
{
    /// <summary>A line for the user (null when there was nothing to do) and a problem sentence (null when all went well).</summary>
    public static async Task<(string? Summary, string? Problem)> RunAsync(string manifestPath, StateDirectory state, bool purge, CancellationToken cancellationToken)
    {
        MeshManifest manifest;
        try
        {
            manifest = ManifestLoader.Load(manifestPath);
        }
        catch (Exception e) when (e is ManifestException or IOException)
        {
            // Without the manifest nobody knows which namespaces the mesh used.
            return (null, purge ? $"--purge needs the manifest to find the mesh's namespaces: {e.Message}" : null);
        }

        if (!manifest.Services.Any(s => s.Runtime == RuntimeKind.Kubernetes))
        {
            return (purge ? "the manifest has no Kubernetes services; nothing to purge" : null, null);
        }

        var meshId = MeshIdentity.For(state.Root);
        var result = purge
            ? await MeshObjects.PurgeAsync(manifest, meshId, cancellationToken: cancellationToken)
            : await MeshObjects.ScaleDownAsync(manifest, meshId, cancellationToken: cancellationToken);
        var problem = result.Problems.Count == 0 ? null : $"could not clean up in the cluster: {string.Join("; ", result.Problems)}";
        string? summary = null;
        if (purge)
        {
            var namespaces = result.DeletedNamespaces.Count == 0 ? "" : $" and {Plural.Noun(result.DeletedNamespaces.Count, "namespace")} {string.Join(", ", result.DeletedNamespaces)}";
            summary = $"kubernetes: deleted {Plural.Of(result.Deleted, "object")} of this mesh{namespaces}";
        }
        else if (result.ScaledDown > 0)
        {
            summary = $"kubernetes: scaled {Plural.Of(result.ScaledDown, "Deployment")} of this mesh to 0 ('meshdev down --purge' deletes them)";
        }

        return (summary, problem);
    }
}
