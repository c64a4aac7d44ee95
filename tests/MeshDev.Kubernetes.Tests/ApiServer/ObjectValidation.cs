using System.Text.RegularExpressions;
using k8s;
using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// The validation the runtime could trip over, with the API server's 422 wording: object names, a Deployment's
/// selector, template labels, containers and replicas (its selector is immutable), and a Service's ports and cluster IP
/// (immutable once allocated).
/// </summary>
internal static partial class ObjectValidation
{
    public static void ValidateName(ApiResource resource, string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw ApiStatusException.Invalid(resource, name, "metadata.name", "FieldValueRequired", "name or generateName is required");
        }

        if (resource == ApiResources.Services)
        {
            if (name.Length > 63 || !Dns1035Label().IsMatch(name))
            {
                throw ApiStatusException.Invalid(resource, name, "metadata.name", "FieldValueInvalid",
                    $"\"{name}\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
            }
        }
        else if (resource == ApiResources.Namespaces)
        {
            if (name.Length > 63 || !Dns1123Label().IsMatch(name))
            {
                throw ApiStatusException.Invalid(resource, name, "metadata.name", "FieldValueInvalid",
                    $"\"{name}\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
            }
        }
        else if (name.Length > 253 || !Dns1123Subdomain().IsMatch(name))
        {
            throw ApiStatusException.Invalid(resource, name, "metadata.name", "FieldValueInvalid",
                $"\"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
        }
    }

    public static void Validate(ApiResource resource, IKubernetesObject<V1ObjectMeta> value, IKubernetesObject<V1ObjectMeta>? current)
    {
        if (value is V1Deployment deployment)
        {
            ValidateDeployment(deployment, current as V1Deployment);
        }
        else if (value is V1Service service && service.Spec?.Type is null or "ClusterIP" or "NodePort" or "LoadBalancer")
        {
            var ports = service.Spec?.Ports ?? [];
            if (ports.Count == 0)
            {
                throw ApiStatusException.Invalid(resource, service.Metadata.Name, "spec.ports", "FieldValueRequired", "");
            }

            for (var i = 0; i < ports.Count; i++)
            {
                if (ports[i].Port is < 1 or > 65535)
                {
                    throw ApiStatusException.Invalid(resource, service.Metadata.Name, $"spec.ports[{i}].port", "FieldValueInvalid",
                        $"{ports[i].Port}: must be between 1 and 65535, inclusive");
                }
            }

            // The cluster IP is allocated once; an update may leave it out (it is kept) but not change it.
            if (current is V1Service { Spec.ClusterIP: { Length: > 0 } was } && service.Spec?.ClusterIP is { Length: > 0 } now && now != was)
            {
                throw ApiStatusException.Invalid(resource, service.Metadata.Name, "spec.clusterIPs[0]", "FieldValueInvalid",
                    $"[]string{{{string.Join(", ", (service.Spec.ClusterIPs ?? [now]).Select(ip => $"\"{ip}\""))}}}: may not change once set");
            }
        }
        else if (value is V1Pod pod && (pod.Spec?.Containers?.Count ?? 0) == 0)
        {
            throw ApiStatusException.Invalid(resource, pod.Metadata.Name, "spec.containers", "FieldValueRequired", "");
        }
    }

    private static void ValidateDeployment(V1Deployment deployment, V1Deployment? current)
    {
        var resource = ApiResources.Deployments;
        var name = deployment.Metadata.Name;
        var selector = deployment.Spec?.Selector;
        if (selector is null || ((selector.MatchLabels?.Count ?? 0) == 0 && (selector.MatchExpressions?.Count ?? 0) == 0))
        {
            throw ApiStatusException.Invalid(resource, name, "spec.selector", "FieldValueRequired", "");
        }

        var labels = deployment.Spec!.Template?.Metadata?.Labels;
        if (!LabelSelector.Parse(LabelSelector.Format(selector)).Matches(labels))
        {
            throw ApiStatusException.Invalid(resource, name, "spec.template.metadata.labels", "FieldValueInvalid",
                $"{GoMap(labels)}: `selector` does not match template `labels`");
        }

        var containers = deployment.Spec.Template?.Spec?.Containers ?? [];
        if (containers.Count == 0)
        {
            throw ApiStatusException.Invalid(resource, name, "spec.template.spec.containers", "FieldValueRequired", "");
        }

        for (var i = 0; i < containers.Count; i++)
        {
            if (string.IsNullOrEmpty(containers[i].Name))
            {
                throw ApiStatusException.Invalid(resource, name, $"spec.template.spec.containers[{i}].name", "FieldValueRequired", "");
            }

            if (string.IsNullOrEmpty(containers[i].Image))
            {
                throw ApiStatusException.Invalid(resource, name, $"spec.template.spec.containers[{i}].image", "FieldValueRequired", "");
            }
        }

        if (deployment.Spec.Replicas is < 0)
        {
            throw ApiStatusException.Invalid(resource, name, "spec.replicas", "FieldValueInvalid",
                $"{deployment.Spec.Replicas}: must be greater than or equal to 0");
        }

        if (current is not null && LabelSelector.Format(current.Spec.Selector) != LabelSelector.Format(selector))
        {
            throw ApiStatusException.Invalid(resource, name, "spec.selector", "FieldValueInvalid",
                $"v1.LabelSelector{{MatchLabels:{GoMap(selector.MatchLabels)}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}}: field is immutable");
        }
    }

    private static string GoMap(IDictionary<string, string>? map) =>
        map is null ? "map[string]string(nil)" : $"map[string]string{{{string.Join(", ", map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"\"{p.Key}\":\"{p.Value}\""))}}}";

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1035Label();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();
}
