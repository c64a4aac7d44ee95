namespace MeshDev.Kubernetes.Cluster;

/// <summary>One kind of object as the API serves it: where its REST path is and whether it lives in a namespace.</summary>
/// <param name="ApiVersion"><c>v1</c> for the core group, else <c>group/version</c>.</param>
/// <param name="Plural">The resource name in paths, e.g. <c>deployments</c>.</param>
internal sealed record ResourceType(string ApiVersion, string Kind, string Plural, bool Namespaced)
{
    public static readonly ResourceType Deployment = new("apps/v1", "Deployment", "deployments", true);
    public static readonly ResourceType Service = new("v1", "Service", "services", true);
    public static readonly ResourceType Pod = new("v1", "Pod", "pods", true);
    public static readonly ResourceType ConfigMap = new("v1", "ConfigMap", "configmaps", true);

    /// <summary>Kinds a team's manifests commonly hold, known without asking the API server (which a Role may not allow).</summary>
    private static readonly ResourceType[] WellKnown =
    [
        Deployment, Service, Pod, ConfigMap,
        new("v1", "Secret", "secrets", true),
        new("v1", "ServiceAccount", "serviceaccounts", true),
        new("v1", "PersistentVolumeClaim", "persistentvolumeclaims", true),
        new("apps/v1", "StatefulSet", "statefulsets", true),
        new("apps/v1", "DaemonSet", "daemonsets", true),
        new("apps/v1", "ReplicaSet", "replicasets", true),
        new("batch/v1", "Job", "jobs", true),
        new("batch/v1", "CronJob", "cronjobs", true),
        new("networking.k8s.io/v1", "Ingress", "ingresses", true),
        new("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", true),
        new("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", true),
        new("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true),
        new("autoscaling/v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true),
        new("rbac.authorization.k8s.io/v1", "Role", "roles", true),
        new("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", true),
        new("v1", "Namespace", "namespaces", false),
        new("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", false),
        new("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", false),
        new("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", false),
        new("v1", "PersistentVolume", "persistentvolumes", false),
        new("storage.k8s.io/v1", "StorageClass", "storageclasses", false),
        new("scheduling.k8s.io/v1", "PriorityClass", "priorityclasses", false),
        new("networking.k8s.io/v1", "IngressClass", "ingressclasses", false),
        new("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", false),
        new("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", false),
    ];

    /// <summary>The well-known type of <paramref name="apiVersion"/> and <paramref name="kind"/>; null when the API server must be asked.</summary>
    public static ResourceType? Find(string apiVersion, string kind) =>
        WellKnown.FirstOrDefault(t => t.ApiVersion == apiVersion && t.Kind == kind);

    /// <summary>The path of the collection in <paramref name="namespace"/> (or of the cluster-wide one), without a leading slash.</summary>
    public string CollectionPath(string? @namespace)
    {
        var prefix = ApiVersion.Contains('/') ? $"apis/{ApiVersion}" : $"api/{ApiVersion}";
        return Namespaced ? $"{prefix}/namespaces/{@namespace}/{Plural}" : $"{prefix}/{Plural}";
    }

    public string ObjectPath(string? @namespace, string name) => $"{CollectionPath(@namespace)}/{Uri.EscapeDataString(name)}";

    /// <summary>The discovery document that lists this API version's resources (<c>api/v1</c>, <c>apis/apps/v1</c>).</summary>
    public static string DiscoveryPath(string apiVersion) => apiVersion.Contains('/') ? $"apis/{apiVersion}" : $"api/{apiVersion}";

    public override string ToString() => Kind;
}
