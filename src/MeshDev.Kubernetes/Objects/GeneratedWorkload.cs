using System.Globalization;
using System.Text.Json.Nodes;
using MeshDev.Catalog;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Objects;

/// <summary>
/// The Deployment and Service MeshDev generates for a service with an <c>image</c>: one container with the manifest's
/// command, args, env, port and working directory; the <c>ready</c> probe as its readinessProbe; and the restricted
/// pod security settings (seccomp RuntimeDefault, no privilege escalation, every capability dropped, non-root unless
/// the manifest says <c>runAsNonRoot: false</c>).
/// </summary>
internal static class GeneratedWorkload
{
    public const string ContainerName = "app";

    /// <param name="gateway">The mesh's sidecar, which lets the pod call every service of the mesh; null makes a leaf that calls nothing through the mesh.</param>
    public static Workload For(LaunchRequest request, string @namespace, string owner, string meshId, string manifestPath, GatewaySidecar? gateway = null)
    {
        var service = request.Service;
        var spec = service.Kubernetes ?? throw new ArgumentException($"service '{service.Name}' is not a Kubernetes service", nameof(request));
        var image = spec.Image ?? throw new ArgumentException($"service '{service.Name}' has no image", nameof(request));
        var port = request.Port;

        // The selector is immutable once the Deployment exists, so it holds only what never changes.
        var selector = new JsonObject { [MeshLabels.Mesh] = meshId, [MeshLabels.Service] = service.Name };
        var container = new JsonObject
        {
            ["name"] = ContainerName,
            ["image"] = image,
            ["ports"] = new JsonArray(new JsonObject { ["containerPort"] = port, ["protocol"] = "TCP" }),
            ["env"] = Environment(request, gateway is not null),
            ["readinessProbe"] = ReadinessProbe(service.Ready, port),
            ["securityContext"] = ContainerSecurity(spec.RunAsNonRoot),
        };
        if (service.Command is { } command)
        {
            container["command"] = new JsonArray(request.Substitute(command));
        }

        if (!service.Args.IsEmpty)
        {
            container["args"] = new JsonArray([.. service.Args.Select(a => (JsonNode)request.Substitute(a))]);
        }

        if (spec.WorkingDir is { } workingDir)
        {
            container["workingDir"] = workingDir;
        }

        var podSpec = new JsonObject
        {
            // The app needs no access to the API server; a dev pod should not carry a token for it.
            ["automountServiceAccountToken"] = false,
            // Docker-link-style variables for every Service of the namespace are noise and can shadow the app's own settings.
            ["enableServiceLinks"] = false,
            ["terminationGracePeriodSeconds"] = (long)Math.Ceiling(service.StopGracePeriod.TotalSeconds),
            ["securityContext"] = PodSecurity(spec.RunAsNonRoot),
            ["containers"] = new JsonArray(container),
        };
        gateway?.AddTo(podSpec, service.Name);

        var deployment = new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = new JsonObject { ["name"] = service.Name, ["namespace"] = @namespace },
            ["spec"] = new JsonObject
            {
                ["selector"] = new JsonObject { ["matchLabels"] = selector.DeepClone() },
                // One pod at a time: a dev Deployment never needs an old and a new pod side by side.
                ["strategy"] = new JsonObject { ["type"] = "Recreate" },
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = selector.DeepClone() },
                    ["spec"] = podSpec,
                },
            },
        };
        var kubeService = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = new JsonObject { ["name"] = service.Name, ["namespace"] = @namespace },
            ["spec"] = new JsonObject
            {
                // Other pods of the namespace reach it by name (http://orders:8080), as in the team's real cluster.
                ["selector"] = selector.DeepClone(),
                ["ports"] = new JsonArray(new JsonObject { ["name"] = "main", ["port"] = port, ["targetPort"] = port, ["protocol"] = "TCP" }),
            },
        };

        var hash = Workload.Hash(deployment.ToJsonString() + "\n" + kubeService.ToJsonString());
        var labels = new JsonObject
        {
            [MeshLabels.Owner] = owner,
            [MeshLabels.Mesh] = meshId,
            [MeshLabels.Service] = service.Name,
            [MeshLabels.ManagedBy] = MeshLabels.ManagedByValue,
            [MeshLabels.Config] = hash,
        };
        var annotations = new JsonObject { [MeshLabels.ManifestAnnotation] = manifestPath };
        foreach (var body in new[] { deployment, kubeService })
        {
            body["metadata"]!["labels"] = labels.DeepClone();
            body["metadata"]!["annotations"] = annotations.DeepClone();
        }

        deployment["spec"]!["replicas"] = 1;
        deployment["spec"]!["template"]!["metadata"]!["labels"] = labels.DeepClone();

        return new Workload
        {
            Namespace = @namespace,
            Deployment = service.Name,
            Objects =
            [
                new WorkloadObject("v1", "Service", service.Name, kubeService, "generated"),
                new WorkloadObject("apps/v1", "Deployment", service.Name, deployment, "generated"),
            ],
            PodSelector = $"{MeshLabels.Mesh}={meshId},{MeshLabels.Service}={service.Name},{MeshLabels.Config}={hash}",
            ConfigHash = hash,
            PodPort = port,
            RootImageHint = $"set 'runAsNonRoot: false' on service '{service.Name}' in {Path.GetFileName(manifestPath)}, or give the image a numeric non-root USER (e.g. USER 65532)",
            Origin = $"generated from image {image}",
            HasGateway = gateway is not null,
        };
    }

    private static JsonArray Environment(LaunchRequest request, bool withGateway)
    {
        var env = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (withGateway)
        {
            // The gateway serves the mesh ports on the pod's own 127.0.0.1: the discovery variables are the laptop's, unchanged.
            foreach (var (name, value) in request.Environment)
            {
                env[name] = value;
            }
        }
        else if (request.Environment.TryGetValue("MESHDEV_SERVICE", out var service))
        {
            // Without the gateway, 127.0.0.1 in the pod is not the mesh: only the service's own name means the same there.
            env["MESHDEV_SERVICE"] = service;
        }

        foreach (var (name, value) in request.Service.Env)
        {
            env[name] = request.Substitute(value);
        }

        env["PORT"] = request.Port.ToString(CultureInfo.InvariantCulture);
        return new JsonArray([.. env.Select(e => (JsonNode)new JsonObject { ["name"] = e.Key, ["value"] = e.Value })]);
    }

    /// <summary>The manifest's <c>ready</c> as a Kubernetes readinessProbe, checked every second so a cold call waits little.</summary>
    internal static JsonObject ReadinessProbe(ReadyProbeSpec ready, int port)
    {
        var probe = ready.Kind switch
        {
            ReadyKind.Http => new JsonObject { ["httpGet"] = new JsonObject { ["path"] = ready.HttpPath ?? "/", ["port"] = port } },
            ReadyKind.Grpc => new JsonObject
            {
                ["grpc"] = string.IsNullOrEmpty(ready.GrpcService)
                    ? new JsonObject { ["port"] = port }
                    : new JsonObject { ["port"] = port, ["service"] = ready.GrpcService },
            },
            ReadyKind.Exec => new JsonObject { ["exec"] = new JsonObject { ["command"] = new JsonArray([.. ready.Command.Select(c => (JsonNode)c)]) } },
            _ => new JsonObject { ["tcpSocket"] = new JsonObject { ["port"] = port } },
        };
        probe["periodSeconds"] = 1;
        probe["timeoutSeconds"] = 1;
        probe["failureThreshold"] = 3;
        return probe;
    }

    private static JsonObject PodSecurity(bool runAsNonRoot)
    {
        var security = new JsonObject { ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" } };
        if (runAsNonRoot)
        {
            security["runAsNonRoot"] = true;
        }

        return security;
    }

    private static JsonObject ContainerSecurity(bool runAsNonRoot)
    {
        var security = new JsonObject
        {
            ["allowPrivilegeEscalation"] = false,
            ["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") },
            ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" },
        };
        if (runAsNonRoot)
        {
            security["runAsNonRoot"] = true;
        }

        return security;
    }
}
