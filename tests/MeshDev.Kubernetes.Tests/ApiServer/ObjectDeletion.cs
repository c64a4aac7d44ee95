using k8s;
using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// What DELETE does per kind. A pod bound to the node is deleted gracefully (it gets a <c>deletionTimestamp</c>, the
/// kubelet stops it, then it is removed) unless <c>gracePeriodSeconds=0</c>; a namespace is marked
/// <c>Terminating</c>, emptied, then removed; everything else is removed at once (a Deployment's pods then go through
/// the controller, like the garbage collector's background propagation).
/// </summary>
internal sealed class ObjectDeletion(ObjectStore store)
{
    /// <summary>Deletes one object and returns what the API answers with: the object itself, or null for a <c>Status</c>.</summary>
    public (IKubernetesObject<V1ObjectMeta> Deleted, bool AnswerWithObject) Delete(ApiResource resource, string? @namespace, string name, long? gracePeriodSeconds) =>
        store.Atomically(() =>
        {
            var current = store.Get(resource, @namespace, name) ?? throw ApiStatusException.NotFound(resource, name);
            if (resource == ApiResources.Pods)
            {
                return ((IKubernetesObject<V1ObjectMeta>)DeletePod((V1Pod)current, gracePeriodSeconds), true);
            }

            if (resource == ApiResources.Namespaces)
            {
                return (DeleteNamespace(current), true);
            }

            var deleted = store.Delete(resource, @namespace, name)!;
            // As the API's OpenAPI says: a Service delete answers with the Service, a Deployment or Event delete with a Status.
            return (deleted, resource == ApiResources.Services);
        });

    private V1Pod DeletePod(V1Pod pod, long? gracePeriodSeconds)
    {
        var grace = gracePeriodSeconds ?? pod.Spec?.TerminationGracePeriodSeconds ?? 30;
        if (pod.Metadata.DeletionTimestamp is not null && grace > 0)
        {
            return pod;
        }

        // A pod no node runs has nothing to stop: it goes at once, as on a real cluster.
        if (grace <= 0 || string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            return (V1Pod)store.Delete(ApiResources.Pods, pod.Metadata.NamespaceProperty, pod.Metadata.Name)!;
        }

        return store.Update<V1Pod>(ApiResources.Pods, pod.Metadata.NamespaceProperty, pod.Metadata.Name, p =>
        {
            p.Metadata.DeletionTimestamp = store.Now.AddSeconds(grace);
            p.Metadata.DeletionGracePeriodSeconds = grace;
            return true;
        })!;
    }

    private IKubernetesObject<V1ObjectMeta> DeleteNamespace(IKubernetesObject<V1ObjectMeta> current)
    {
        var name = current.Metadata.Name;
        if (current.Metadata.DeletionTimestamp is not null)
        {
            return current;
        }

        var terminating = store.Update<V1Namespace>(ApiResources.Namespaces, null, name, ns =>
        {
            ns.Metadata.DeletionTimestamp = store.Now;
            ns.Metadata.DeletionGracePeriodSeconds = 0;
            (ns.Status ??= new V1NamespaceStatus()).Phase = "Terminating";
            return true;
        })!;
        foreach (var resource in new[] { ApiResources.Deployments, ApiResources.Services, ApiResources.Pods, ApiResources.Events })
        {
            foreach (var item in store.List(resource, name).Items)
            {
                store.Delete(resource, name, item.Metadata.Name);
            }
        }

        store.Delete(ApiResources.Namespaces, null, name);
        return terminating;
    }
}
