using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using MeshDev.Kubernetes.Cluster;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Objects;

/// <summary>
/// Applies a <see cref="Workload"/> with server-side apply, after checking every object that already exists: one that
/// is not this developer's (and this mesh's) stops the whole apply before anything is changed.
/// </summary>
internal static class WorkloadApplier
{
    public static async Task ApplyAsync(ClusterClient client, Workload workload, Ownership ownership, CancellationToken cancellationToken)
    {
        var ns = workload.Namespace;
        var checkedObjects = new List<(ResourceType Type, WorkloadObject Object)>();
        foreach (var item in workload.Objects)
        {
            var type = await Call(client, $"looking up kind {item.Kind} ({item.ApiVersion})", () => client.ResolveAsync(item.ApiVersion, item.Kind, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (!type.Namespaced)
            {
                throw new LaunchException($"{item.Source}: {item.Kind} '{item.Name}' is cluster-wide; MeshDev applies only namespaced objects, into your dev namespace {ns}");
            }

            var existing = await Call(client, $"reading {item.Describe(ns)}", () => client.GetAsync(type, ns, item.Name, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (existing is not null && ownership.Refusal(item.Describe(ns), Strings(existing["metadata"]?["labels"]), Strings(existing["metadata"]?["annotations"])) is { } refusal)
            {
                throw new LaunchException(refusal);
            }

            checkedObjects.Add((type, item));
        }

        foreach (var (type, item) in checkedObjects)
        {
            await Call(client, $"applying {item.Describe(ns)} ({item.Source})", () => client.ApplyAsync(type, ns, item.Body, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sets the replicas of a Deployment (the scale subresource: nothing else of it changes).</summary>
    public static async Task ScaleAsync(ClusterClient client, string @namespace, string deployment, int replicas, CancellationToken cancellationToken)
    {
        var patch = new V1Patch(new JsonObject { ["spec"] = new JsonObject { ["replicas"] = replicas } }.ToJsonString(), V1Patch.PatchType.MergePatch);
        await Call(client, $"scaling Deployment '{deployment}' in namespace {@namespace} to {replicas}", () =>
            client.AppsV1.PatchNamespacedDeploymentScaleAsync(patch, deployment, @namespace, fieldManager: MeshLabels.FieldManager, cancellationToken: cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs one API call; any failure becomes a <see cref="LaunchException"/> that says what was being done and what to fix.</summary>
    public static async Task<T> Call<T>(ClusterClient client, string doing, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not LaunchException && !cancellationToken.IsCancellationRequested)
        {
            throw new LaunchException(ApiErrors.Describe(e, doing, client), e);
        }
    }

    internal static Dictionary<string, string>? Strings(JsonNode? node) =>
        node is JsonObject map
            ? map.Where(p => p.Value is JsonValue).ToDictionary(p => p.Key, p => p.Value!.ToString(), StringComparer.Ordinal)
            : null;
}
