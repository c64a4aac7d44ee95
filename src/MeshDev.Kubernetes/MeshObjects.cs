using k8s;
using k8s.Models;
using MeshDev.Catalog;
using MeshDev.Kubernetes.Cluster;
using MeshDev.Kubernetes.Objects;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes;

/// <summary>What <c>meshdev down</c> did in the clusters: Deployments scaled to 0, objects and namespaces deleted, and what could not be done.</summary>
public sealed record KubernetesCleanup(int ScaledDown, int Deleted, IReadOnlyList<string> DeletedNamespaces, IReadOnlyList<string> Problems);

/// <summary>
/// The objects of one mesh in the clusters its manifest uses, found by label (this developer's owner label and the
/// mesh's): what <c>meshdev down</c> scales to 0 and <c>meshdev down --purge</c> deletes, also after the daemon was
/// killed. An object without both labels is never scaled or deleted.
/// </summary>
public static class MeshObjects
{
    /// <summary>Scales every Deployment of the mesh to 0 in the namespaces of the manifest's Kubernetes services.</summary>
    public static Task<KubernetesCleanup> ScaleDownAsync(MeshManifest manifest, string meshId, KubernetesRuntimeOptions? options = null, CancellationToken cancellationToken = default) =>
        ForEachNamespaceAsync(manifest, meshId, options, async (client, @namespace, ownership, result) =>
            result.Scaled += await ScaleDownAsync(client, @namespace, ownership, cancellationToken).ConfigureAwait(false), cancellationToken);

    /// <summary>
    /// Deletes every object of the mesh (Deployments, Services, and every kind the team's manifests hold) in the
    /// namespaces of the manifest's Kubernetes services, then each such namespace that MeshDev created for this
    /// developer and that holds nothing else.
    /// </summary>
    public static Task<KubernetesCleanup> PurgeAsync(MeshManifest manifest, string meshId, KubernetesRuntimeOptions? options = null, CancellationToken cancellationToken = default)
    {
        var kinds = manifest.Services.Where(s => s.Runtime == RuntimeKind.Kubernetes).SelectMany(ManifestWorkload.KindsOf)
            .Append((ResourceType.Deployment.ApiVersion, ResourceType.Deployment.Kind))
            .Append((ResourceType.Service.ApiVersion, ResourceType.Service.Kind))
            .Distinct()
            .ToList();
        return ForEachNamespaceAsync(manifest, meshId, options, async (client, @namespace, ownership, result) =>
        {
            foreach (var (apiVersion, kind) in kinds)
            {
                ResourceType type;
                IReadOnlyList<System.Text.Json.Nodes.JsonObject> objects;
                try
                {
                    type = await client.ResolveAsync(apiVersion, kind, cancellationToken).ConfigureAwait(false);
                    if (!type.Namespaced)
                    {
                        continue;
                    }

                    objects = await client.ListAsync(type, @namespace, MeshLabels.Selector(ownership.Owner, ownership.MeshId), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is LaunchException { InnerException: null } || ApiErrors.IsNotFound(e))
                {
                    // A kind the cluster does not serve (any more) holds no object of ours.
                    continue;
                }
                catch (Exception e) when (e is not LaunchException && !cancellationToken.IsCancellationRequested)
                {
                    throw new LaunchException(ApiErrors.Describe(e, $"listing the {kind} objects of this mesh in namespace {@namespace}", client), e);
                }

                foreach (var item in objects)
                {
                    // The selector chose them; the labels are checked again here, since a stand-in or proxy might ignore it.
                    if (ownership.Of(WorkloadApplier.Strings(item["metadata"]?["labels"])) != OwnershipKind.Ours || item["metadata"]?["name"]?.GetValue<string>() is not { } name)
                    {
                        continue;
                    }

                    if (await WorkloadApplier.Call(client, $"deleting {kind} '{name}' in namespace {@namespace}", () => client.DeleteAsync(type, @namespace, name, cancellationToken), cancellationToken).ConfigureAwait(false))
                    {
                        result.Deleted++;
                    }
                }
            }

            if (await DeleteNamespaceIfOnlyOursAsync(client, @namespace, ownership, cancellationToken).ConfigureAwait(false))
            {
                result.Namespaces.Add(@namespace);
            }
        }, cancellationToken);
    }

    /// <summary>Scales the mesh's Deployments in one namespace to 0; returns how many were above 0.</summary>
    internal static async Task<int> ScaleDownAsync(ClusterClient client, string @namespace, Ownership ownership, CancellationToken cancellationToken)
    {
        var deployments = await WorkloadApplier.Call(client, $"listing the Deployments of this mesh in namespace {@namespace}",
            () => client.AppsV1.ListNamespacedDeploymentAsync(@namespace, labelSelector: MeshLabels.Selector(ownership.Owner, ownership.MeshId), cancellationToken: cancellationToken), cancellationToken).ConfigureAwait(false);
        var scaled = 0;
        foreach (var deployment in deployments.Items)
        {
            if (ownership.Of(deployment.Metadata.Labels) == OwnershipKind.Ours && (deployment.Spec?.Replicas ?? 1) > 0)
            {
                await WorkloadApplier.ScaleAsync(client, @namespace, deployment.Metadata.Name, 0, cancellationToken).ConfigureAwait(false);
                scaled++;
            }
        }

        return scaled;
    }

    /// <summary>
    /// Deletes the namespace when MeshDev created it for this developer and nothing but this mesh's objects is left in
    /// it; a namespace shared with anything else is kept. Checked on the kinds the documented Role always lets the
    /// developer list: pods (every workload that runs, whatever made it: a StatefulSet, a Job), and the Deployments and
    /// Services another mesh or tool keeps there scaled to 0. Not ConfigMaps or StatefulSets: the Role grants neither
    /// unless the team's manifests hold them, and a refusal must keep the namespace, so the purge would never delete
    /// one; and a cluster puts its own ConfigMaps in every namespace (kube-root-ca.crt, Istio's istio-ca-root-cert).
    /// </summary>
    private static async Task<bool> DeleteNamespaceIfOnlyOursAsync(ClusterClient client, string @namespace, Ownership ownership, CancellationToken cancellationToken)
    {
        V1Namespace existing;
        try
        {
            existing = await client.CoreV1.ReadNamespaceAsync(@namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e) || ApiErrors.IsForbidden(e))
        {
            return false;
        }

        if ((existing.Metadata.Labels is { } labels && labels.TryGetValue(MeshLabels.Owner, out var owner) ? owner : null) != ownership.Owner
            || (existing.Metadata.Annotations is { } annotations && annotations.TryGetValue(MeshLabels.CreatedAnnotation, out var created) ? created : null) != "true"
            || existing.Status?.Phase == "Terminating")
        {
            return false;
        }

        foreach (var type in new[] { ResourceType.Deployment, ResourceType.Service, ResourceType.Pod })
        {
            IReadOnlyList<System.Text.Json.Nodes.JsonObject> items;
            try
            {
                items = await client.ListAsync(type, @namespace, null, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (ApiErrors.IsNotFound(e))
            {
                // The server does not serve that kind: none of it is there.
                continue;
            }
            catch (Exception e) when (ApiErrors.IsForbidden(e))
            {
                // What cannot be seen may be someone's work: keep the namespace.
                return false;
            }
            catch (Exception e) when (e is not LaunchException && !cancellationToken.IsCancellationRequested)
            {
                throw new LaunchException(ApiErrors.Describe(e, $"listing the {type.Plural} of namespace {@namespace}", client), e);
            }

            if (items.Any(i => ownership.Of(WorkloadApplier.Strings(i["metadata"]?["labels"])) != OwnershipKind.Ours))
            {
                return false;
            }
        }

        await WorkloadApplier.Call(client, $"deleting namespace {@namespace}", () => client.CoreV1.DeleteNamespaceAsync(@namespace, cancellationToken: cancellationToken), cancellationToken).ConfigureAwait(false);
        return true;
    }

    private static async Task<KubernetesCleanup> ForEachNamespaceAsync(
        MeshManifest manifest, string meshId, KubernetesRuntimeOptions? options, Func<ClusterClient, string, Ownership, Tally, Task> action, CancellationToken cancellationToken)
    {
        options ??= new KubernetesRuntimeOptions { MeshId = meshId, ManifestPath = manifest.FilePath };
        var ownership = new Ownership(options.Owner, meshId);
        var tally = new Tally();
        var targets = manifest.Services
            .Where(s => s.Runtime == RuntimeKind.Kubernetes)
            .Select(s => (Context: s.Kubernetes?.Context, Namespace: s.Kubernetes?.Namespace ?? MeshLabels.DefaultNamespace(options.Owner)))
            .Distinct();
        var clusters = new Dictionary<string, KubeCluster>(StringComparer.Ordinal);
        try
        {
            foreach (var (context, @namespace) in targets)
            {
                if (!clusters.TryGetValue(context ?? "", out var cluster))
                {
                    clusters[context ?? ""] = cluster = new KubeCluster(options.KubeConfig, context);
                }

                try
                {
                    var client = await cluster.ConnectAsync(cancellationToken).ConfigureAwait(false);
                    await action(client, @namespace, ownership, tally).ConfigureAwait(false);
                }
                catch (LaunchException e)
                {
                    tally.Problems.Add(e.Message);
                }
            }
        }
        finally
        {
            foreach (var cluster in clusters.Values)
            {
                cluster.Dispose();
            }
        }

        return new KubernetesCleanup(tally.Scaled, tally.Deleted, tally.Namespaces, tally.Problems);
    }

    private sealed class Tally
    {
        public int Scaled { get; set; }

        public int Deleted { get; set; }

        public List<string> Namespaces { get; } = [];

        public List<string> Problems { get; } = [];
    }
}
