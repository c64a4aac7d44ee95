using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using MeshDev.Kubernetes.Cluster;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Objects;

/// <summary>
/// The developer's own namespace: created (and labelled with its owner) when missing; used when it carries this
/// developer's owner label; refused when it carries another one's; refused without the label unless the developer
/// said <c>meshdev up --adopt</c>, which labels it as theirs.
/// </summary>
internal static class DevNamespace
{
    public static async Task EnsureAsync(ClusterClient client, string name, string owner, bool adopt, Action<string> log, CancellationToken cancellationToken)
    {
        V1Namespace? existing;
        try
        {
            existing = await client.CoreV1.ReadNamespaceAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
            existing = null;
        }
        catch (Exception e) when (ApiErrors.IsForbidden(e))
        {
            // A Role inside the namespace cannot grant reading the namespace itself (it is cluster-scoped).
            if (!adopt)
            {
                throw new LaunchException(
                    $"MeshDev may not read namespace '{name}' (Forbidden) to check that it is yours ({MeshLabels.Owner}={owner}); " +
                    "ask for 'get' on it (see 'Kubernetes dev namespace' in the README), or run 'meshdev up --adopt' to use it without that check");
            }

            log($"meshdev: namespace {name} cannot be read (Forbidden); using it without checking its owner (--adopt)");
            return;
        }
        catch (Exception e)
        {
            throw new LaunchException(ApiErrors.Describe(e, $"reading namespace '{name}'", client), e);
        }

        if (existing is null)
        {
            await CreateAsync(client, name, owner, adopt, log, cancellationToken).ConfigureAwait(false);
            return;
        }

        Check(existing, name, owner, adopt);
        if (existing.Metadata.Labels?.ContainsKey(MeshLabels.Owner) != true)
        {
            await LabelAsync(client, name, owner, log, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Throws when MeshDev must not use <paramref name="existing"/>; returns when it may (its owner, or adopted).</summary>
    internal static void Check(V1Namespace existing, string name, string owner, bool adopt)
    {
        if (existing.Status?.Phase == "Terminating")
        {
            throw new LaunchException($"namespace '{name}' is being deleted; wait until 'kubectl get namespace {name}' finds it no more, then call again");
        }

        var labels = existing.Metadata.Labels;
        if (labels is not null && labels.TryGetValue(MeshLabels.Owner, out var labelled))
        {
            if (labelled != owner)
            {
                throw new LaunchException($"namespace '{name}' belongs to another developer ({MeshLabels.Owner}={labelled}); MeshDev never uses it: set your own 'namespace'");
            }

            return;
        }

        if (!adopt)
        {
            throw new LaunchException(
                $"namespace '{name}' exists but is not marked as yours (no {MeshLabels.Owner}={owner} label), so MeshDev will not use it; " +
                "run 'meshdev up --adopt' to take it over (MeshDev then labels it as yours), or set another 'namespace'");
        }
    }

    private static async Task CreateAsync(ClusterClient client, string name, string owner, bool adopt, Action<string> log, CancellationToken cancellationToken)
    {
        var body = new V1Namespace
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                Labels = new Dictionary<string, string> { [MeshLabels.Owner] = owner, [MeshLabels.ManagedBy] = MeshLabels.ManagedByValue },
                Annotations = new Dictionary<string, string> { [MeshLabels.CreatedAnnotation] = "true" },
            },
        };
        try
        {
            await client.CoreV1.CreateNamespaceAsync(body, fieldManager: MeshLabels.FieldManager, cancellationToken: cancellationToken).ConfigureAwait(false);
            log($"meshdev: created namespace {name} (labelled {MeshLabels.Owner}={owner})");
        }
        catch (Exception e) when (ApiErrors.StatusOf(e) == HttpStatusCode.Conflict)
        {
            // Created meanwhile (another service of this mesh, or someone else): judge it like any existing namespace.
            var existing = await client.CoreV1.ReadNamespaceAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
            Check(existing, name, owner, adopt);
        }
        catch (Exception e) when (ApiErrors.IsForbidden(e))
        {
            throw new LaunchException(
                $"namespace '{name}' does not exist and you may not create it ({ApiErrors.ServerMessage(e)}); " +
                $"ask an admin to create it labelled {MeshLabels.Owner}={owner} (see 'Kubernetes dev namespace' in the README), or set 'namespace' to one you may use", e);
        }
        catch (Exception e) when (e is not LaunchException)
        {
            throw new LaunchException(ApiErrors.Describe(e, $"creating namespace '{name}'", client), e);
        }
    }

    private static async Task LabelAsync(ClusterClient client, string name, string owner, Action<string> log, CancellationToken cancellationToken)
    {
        var patch = new V1Patch(new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { [MeshLabels.Owner] = owner } } }.ToJsonString(), V1Patch.PatchType.MergePatch);
        try
        {
            await client.CoreV1.PatchNamespaceAsync(patch, name, cancellationToken: cancellationToken).ConfigureAwait(false);
            log($"meshdev: adopted namespace {name} (labelled {MeshLabels.Owner}={owner})");
        }
        catch (Exception e) when (ApiErrors.IsForbidden(e))
        {
            log($"meshdev: using namespace {name} (--adopt); it could not be labelled as yours ({ApiErrors.ServerMessage(e)})");
        }
    }
}
