using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>The kinds the stand-in serves: what the Kubernetes runtime reads and writes, and nothing more.</summary>
internal static class ApiResources
{
    public static readonly ApiResource Namespaces = new ApiResource<V1Namespace>("", "v1", "namespaces", "Namespace", namespaced: false)
    {
        SelectableFields = new HashSet<string> { "status.phase" },
    };

    public static readonly ApiResource Deployments = new ApiResource<V1Deployment>("apps", "v1", "deployments", "Deployment", namespaced: true)
    {
        HasGeneration = true,
    };

    public static readonly ApiResource Services = new ApiResource<V1Service>("", "v1", "services", "Service", namespaced: true);

    public static readonly ApiResource Pods = new ApiResource<V1Pod>("", "v1", "pods", "Pod", namespaced: true)
    {
        SelectableFields = new HashSet<string>
        {
            "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "status.phase", "status.podIP",
        },
    };

    public static readonly ApiResource Events = new ApiResource<Corev1Event>("", "v1", "events", "Event", namespaced: true)
    {
        SelectableFields = new HashSet<string>
        {
            "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
            "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
            "reason", "reportingComponent", "source", "type",
        },
    };

    public static IReadOnlyList<ApiResource> All { get; } = [Namespaces, Deployments, Services, Pods, Events];

    public static ApiResource? Find(string group, string version, string plural) =>
        All.FirstOrDefault(r => r.Group == group && r.Version == version && r.Plural == plural);

    /// <summary>
    /// A namespaced kind the stand-in does not serve (statefulsets, configmaps): the real API server authorizes a request
    /// before it looks for the resource, so a Role lacking it gets 403, not 404; the stand-in does the same, then says 404.
    /// </summary>
    public static ApiResource Unserved(string group, string version, string plural) =>
        new ApiResource<V1ConfigMap>(group, version, plural, plural, namespaced: true);

    public static bool Serves(ApiResource resource) => All.Contains(resource);
}
