using k8s;
using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// <c>deployments/{name}/scale</c>: an <c>autoscaling/v1</c> <c>Scale</c> view of a Deployment. Writing it sets the
/// Deployment's <c>spec.replicas</c> (a new generation), which the controller then acts on.
/// </summary>
internal static class ScaleSubresource
{
    public static V1Scale Of(V1Deployment deployment) => new()
    {
        ApiVersion = "autoscaling/v1",
        Kind = "Scale",
        Metadata = new V1ObjectMeta
        {
            Name = deployment.Metadata.Name,
            NamespaceProperty = deployment.Metadata.NamespaceProperty,
            Uid = deployment.Metadata.Uid,
            ResourceVersion = deployment.Metadata.ResourceVersion,
            CreationTimestamp = deployment.Metadata.CreationTimestamp,
        },
        Spec = new V1ScaleSpec { Replicas = deployment.Spec?.Replicas ?? 0 },
        Status = new V1ScaleStatus
        {
            Replicas = deployment.Status?.Replicas ?? 0,
            Selector = LabelSelector.Format(deployment.Spec?.Selector),
        },
    };

    /// <summary>Sets the Deployment's replicas from a written <c>Scale</c> (whose <c>resourceVersion</c>, when set, is a precondition).</summary>
    public static V1Deployment Write(ObjectStore store, V1Deployment current, V1Scale scale, string manager, string operation)
    {
        if (scale.Spec?.Replicas is < 0)
        {
            throw ApiStatusException.Invalid(ApiResources.Deployments, current.Metadata.Name, "spec.replicas", "FieldValueInvalid",
                $"{scale.Spec.Replicas}: must be greater than or equal to 0");
        }

        var updated = KubernetesJson.Deserialize<V1Deployment>(KubernetesJson.Serialize(current));
        updated.Spec.Replicas = scale.Spec?.Replicas ?? 0;
        updated.Metadata.ResourceVersion = string.IsNullOrEmpty(scale.Metadata?.ResourceVersion) ? current.Metadata.ResourceVersion : scale.Metadata.ResourceVersion;
        ManagedFields.Record(updated, current, manager, operation, "apps/v1", store.Now, "scale");
        return (V1Deployment)store.Replace(ApiResources.Deployments, updated);
    }
}
