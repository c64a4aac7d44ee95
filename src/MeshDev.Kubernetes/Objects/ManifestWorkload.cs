using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MeshDev.Catalog;
using MeshDev.Kubernetes.Cluster;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Objects;

/// <summary>
/// A service whose objects are the team's own manifest files (<c>manifests: [k8s/orders.yaml]</c>): every namespaced
/// object in them goes into the dev namespace, carrying MeshDev's labels; the Deployment named by <c>deployment</c>
/// (else the service's name) is the one scaled between 0 and 1. The files' own security settings are kept as written.
/// With the mesh's gateway, that Deployment's pods get the gateway sidecar and every container the discovery variables
/// (a variable the files set themselves wins), so the team's pods call the mesh as generated ones do.
/// </summary>
internal static class ManifestWorkload
{
    // Applied first: what pods mount or run as must exist before the Deployment creates them.
    private static readonly string[] ApplyOrder = ["ServiceAccount", "Secret", "ConfigMap", "PersistentVolumeClaim", "Role", "RoleBinding", "Service"];

    /// <param name="gateway">The mesh's sidecar and the discovery variables for the pods; null leaves the Deployment's pods as written.</param>
    public static Workload For(
        ServiceSpec service, string @namespace, string owner, string meshId, string manifestPath, Action<string> log,
        (GatewaySidecar Sidecar, IReadOnlyDictionary<string, string> Discovery)? gateway = null)
    {
        var spec = service.Kubernetes ?? throw new ArgumentException($"service '{service.Name}' is not a Kubernetes service", nameof(service));
        var deploymentName = spec.Deployment ?? service.Name;
        var manifestDirectory = Path.GetDirectoryName(manifestPath)!;
        var hashInput = new StringBuilder($"v1\n{@namespace}\n{deploymentName}\n");
        var objects = new List<WorkloadObject>();
        foreach (var file in spec.Manifests)
        {
            var display = Path.GetRelativePath(manifestDirectory, file);
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new LaunchException($"manifest file {display} of service '{service.Name}' cannot be read: {e.Message}", e);
            }

            hashInput.Append(display).Append('\n').Append(text).Append('\n');
            foreach (var (document, body) in YamlDocuments.Parse(text, display))
            {
                objects.Add(Prepare(body, $"{display} (document {document})", @namespace, owner, meshId, service.Name, manifestPath, log));
            }
        }

        if (gateway is { } added)
        {
            // The gateway is part of what is applied: another image or other ports is another configuration.
            hashInput.Append($"gateway {added.Sidecar.Image} {added.Sidecar.LinkPort} {string.Join(",", added.Sidecar.Ports.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"))}\n");
            foreach (var (name, value) in added.Discovery.OrderBy(d => d.Key, StringComparer.Ordinal))
            {
                hashInput.Append(name).Append('=').Append(value).Append('\n');
            }
        }

        var hash = Workload.Hash(hashInput.ToString());
        var target = objects.LastOrDefault(o => o.Kind == "Deployment" && o.ApiVersion == "apps/v1" && o.Name == deploymentName)
            ?? throw new LaunchException(
                $"none of the manifests of service '{service.Name}' ({string.Join(", ", spec.Manifests.Select(f => Path.GetRelativePath(manifestDirectory, f)))}) " +
                $"has an apps/v1 Deployment named '{deploymentName}'; set 'deployment' to the one MeshDev should scale");

        var selector = PodSelector(target);
        target.Body["metadata"]!["labels"]![MeshLabels.Config] = hash;
        var deploymentSpec = target.Body["spec"]!.AsObject();
        deploymentSpec["replicas"] = 1;
        var template = deploymentSpec["template"] as JsonObject ?? throw new LaunchException($"{target.Source}: Deployment '{deploymentName}' has no spec.template");
        var templateMetadata = template["metadata"] as JsonObject ?? (JsonObject)(template["metadata"] = new JsonObject());
        var templateLabels = templateMetadata["labels"] as JsonObject ?? (JsonObject)(templateMetadata["labels"] = new JsonObject());
        templateLabels[MeshLabels.Owner] = owner;
        templateLabels[MeshLabels.Mesh] = meshId;
        templateLabels[MeshLabels.Service] = service.Name;
        templateLabels[MeshLabels.Config] = hash;
        if (gateway is { } sidecar)
        {
            AddGateway(template, sidecar.Sidecar, sidecar.Discovery, service.Name, target.Source);
        }

        var ordered = objects
            .Where(o => !ReferenceEquals(o, target))
            .OrderBy(o => Array.IndexOf(ApplyOrder, o.Kind) is var i and >= 0 ? i : ApplyOrder.Length)
            .Append(target)
            .ToList();
        return new Workload
        {
            Namespace = @namespace,
            Deployment = deploymentName,
            Objects = ordered,
            PodSelector = $"{selector},{MeshLabels.Config}={hash}",
            ConfigHash = hash,
            PodPort = service.Port ?? throw new LaunchException($"service '{service.Name}' has no 'port'"),
            RootImageHint = $"set 'runAsNonRoot: false' in the pod's securityContext in {target.Source.Split(' ')[0]}, or give the image a numeric non-root USER (e.g. USER 65532)",
            Origin = $"from {string.Join(", ", spec.Manifests.Select(f => Path.GetRelativePath(manifestDirectory, f)))}",
            HasGateway = gateway is not null,
        };
    }

    private static void AddGateway(JsonObject template, GatewaySidecar gateway, IReadOnlyDictionary<string, string> discovery, string service, string source)
    {
        var podSpec = template["spec"] as JsonObject ?? throw new LaunchException($"{source}: the Deployment's pod template has no spec");
        if ((podSpec["initContainers"] as JsonArray ?? []).Any(c => (c as JsonObject)?["name"]?.GetValue<string>() == GatewaySidecar.ContainerName))
        {
            throw new LaunchException($"{source}: the pod template already has an init container named '{GatewaySidecar.ContainerName}', the name of the mesh's gateway; rename it");
        }

        gateway.AddTo(podSpec, service);
        foreach (var container in (podSpec["containers"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var env = container["env"] as JsonArray ?? (JsonArray)(container["env"] = new JsonArray());
            var written = env.OfType<JsonObject>().Select(e => Text(e, "name")).ToHashSet(StringComparer.Ordinal);
            foreach (var (name, value) in discovery.Where(d => !written.Contains(d.Key)).OrderBy(d => d.Key, StringComparer.Ordinal))
            {
                env.Add(new JsonObject { ["name"] = name, ["value"] = value });
            }
        }
    }

    /// <summary>The kinds (apiVersion, kind) the team's manifests of <paramref name="service"/> hold; empty when they cannot be read.</summary>
    public static IReadOnlyList<(string ApiVersion, string Kind)> KindsOf(ServiceSpec service)
    {
        var kinds = new List<(string, string)>();
        foreach (var file in service.Kubernetes?.Manifests ?? [])
        {
            try
            {
                foreach (var (_, body) in YamlDocuments.Parse(File.ReadAllText(file), file))
                {
                    if (Text(body, "apiVersion") is { } apiVersion && Text(body, "kind") is { } kind)
                    {
                        kinds.Add((apiVersion, kind));
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or LaunchException)
            {
                // A file that cannot be read now holds nothing MeshDev can find by kind; its objects still carry the labels.
            }
        }

        return [.. kinds.Distinct()];
    }

    private static WorkloadObject Prepare(JsonObject body, string source, string @namespace, string owner, string meshId, string service, string manifestPath, Action<string> log)
    {
        var apiVersion = Text(body, "apiVersion") ?? throw new LaunchException($"{source} has no apiVersion");
        var kind = Text(body, "kind") ?? throw new LaunchException($"{source} has no kind");
        var metadata = body["metadata"] as JsonObject ?? throw new LaunchException($"{source}: {kind} has no metadata");
        var name = Text(metadata, "name") ?? throw new LaunchException($"{source}: {kind} has no metadata.name (generateName cannot be applied)");
        if (ResourceType.Find(apiVersion, kind) is { Namespaced: false })
        {
            throw new LaunchException($"{source}: {kind} '{name}' is cluster-wide; MeshDev applies only namespaced objects, into your dev namespace {@namespace}: apply it yourself (or ask an admin)");
        }

        if (Text(metadata, "namespace") is { } written && written != @namespace)
        {
            log($"meshdev: {source}: {kind} {name} goes into the dev namespace {@namespace}, not '{written}' as the file says");
        }

        metadata["namespace"] = @namespace;
        var labels = metadata["labels"] as JsonObject ?? (JsonObject)(metadata["labels"] = new JsonObject());
        labels[MeshLabels.Owner] = owner;
        labels[MeshLabels.Mesh] = meshId;
        labels[MeshLabels.Service] = service;
        labels[MeshLabels.ManagedBy] = MeshLabels.ManagedByValue;
        var annotations = metadata["annotations"] as JsonObject ?? (JsonObject)(metadata["annotations"] = new JsonObject());
        annotations[MeshLabels.ManifestAnnotation] = manifestPath;

        // Server-side apply rejects what the server owns.
        metadata.Remove("resourceVersion");
        metadata.Remove("uid");
        metadata.Remove("creationTimestamp");
        metadata.Remove("managedFields");
        body.Remove("status");
        if (apiVersion == "v1" && kind == "Service" && body["spec"] is JsonObject serviceSpec)
        {
            RemoveAllocated(serviceSpec);
        }

        return new WorkloadObject(apiVersion, kind, name, body, source);
    }

    /// <summary>
    /// What the server allocated to the Service a file was exported from (<c>kubectl get -o yaml</c>): its cluster IPs and
    /// node ports. Applied again they are refused: 422 "may not change once set" on a Service that got other ones, and
    /// "provided IP is already allocated" while the original exists; every developer's copy needs its own anyway. The
    /// server allocates new ones. A headless Service keeps <c>clusterIP: None</c>, which is a choice, not an allocation.
    /// </summary>
    private static void RemoveAllocated(JsonObject spec)
    {
        var headless = Text(spec, "clusterIP") == "None"
            || (spec["clusterIPs"] as JsonArray)?.FirstOrDefault() is JsonValue first && first.GetValueKind() == JsonValueKind.String && first.GetValue<string>() == "None";
        if (!headless)
        {
            spec.Remove("clusterIP");
            spec.Remove("clusterIPs");
        }

        spec.Remove("healthCheckNodePort");
        foreach (var port in (spec["ports"] as JsonArray ?? []).OfType<JsonObject>())
        {
            port.Remove("nodePort");
        }
    }

    /// <summary>The Deployment's own pod selector as a label selector string (matchLabels and matchExpressions).</summary>
    internal static string PodSelector(WorkloadObject deployment)
    {
        var selector = deployment.Body["spec"]?["selector"] as JsonObject
            ?? throw new LaunchException($"{deployment.Source}: Deployment '{deployment.Name}' has no spec.selector");
        var parts = new List<string>();
        foreach (var (key, value) in selector["matchLabels"] as JsonObject ?? [])
        {
            parts.Add($"{key}={Scalar(value)}");
        }

        foreach (var expression in (selector["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var key = Text(expression, "key");
            var values = string.Join(',', (expression["values"] as JsonArray ?? []).Select(Scalar));
            parts.Add(Text(expression, "operator") switch
            {
                "In" => $"{key} in ({values})",
                "NotIn" => $"{key} notin ({values})",
                "Exists" => $"{key}",
                "DoesNotExist" => $"!{key}",
                var op => throw new LaunchException($"{deployment.Source}: unknown selector operator '{op}'"),
            });
        }

        return parts.Count > 0 ? string.Join(',', parts) : throw new LaunchException($"{deployment.Source}: Deployment '{deployment.Name}' selects no pods (empty spec.selector)");
    }

    private static string? Text(JsonObject body, string key) =>
        body[key] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static string Scalar(JsonNode? node) => node switch
    {
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        null => "",
        _ => node.ToJsonString(),
    };
}
