using System.Globalization;
using System.Text.Json.Nodes;

namespace MeshDev.Kubernetes.Objects;

/// <summary>
/// The mesh's gateway in a generated pod: a native sidecar (an init container with <c>restartPolicy: Always</c>, so
/// it listens before the app starts and stops after it) that serves the same 127.0.0.1 mesh ports as the laptop, so
/// the app's discovery variables mean the same in the pod; the laptop's link reaches it on <see cref="LinkPort"/>.
/// It asks for nothing: non-root, no capabilities, a read-only root, a little memory.
/// </summary>
/// <param name="Image">The gateway's image (<c>mesh.kubernetes.gatewayImage</c>).</param>
/// <param name="LinkPort">The port inside the pod the laptop's port-forward connects to.</param>
/// <param name="Ports">Every mesh port and the service behind it (<c>*</c> for the shared port).</param>
public sealed record GatewaySidecar(string Image, int LinkPort, IReadOnlyDictionary<int, string> Ports)
{
    public const string ContainerName = "meshdev-gateway";

    /// <summary>
    /// The repository of the image this meshdev builds from its own gateway binary. Its tag is a hash of the image's
    /// content rather than meshdev's version, so a gateway rebuilt under the same version never reuses a stale image;
    /// the reference for this build is <c>MeshDev.Docker.GatewayImage.OfThisMeshdev().DefaultReference</c>,
    /// resolved when the mesh starts (<see cref="LocalGatewayImage"/>). Untagged here: it only stands in until then.
    /// </summary>
    public const string DefaultImage = "meshdev/gateway";

    /// <summary>The gateway binary's path in its image (the image's ENTRYPOINT, <c>MeshDev.Docker.GatewayImage.Entrypoint</c>).</summary>
    public const string Binary = "/meshdev-gateway";

    /// <summary>The kernel's default: ports below it need CAP_NET_BIND_SERVICE, which no container here has.</summary>
    private const int UnprivilegedPortStart = 1024;

    private const string PortStartSysctl = "net.ipv4.ip_unprivileged_port_start";

    /// <summary>A numeric non-root user: the image is FROM scratch and has no /etc/passwd to name one.</summary>
    private const long User = 65532;

    private JsonObject Container(string service) => new()
    {
        ["name"] = ContainerName,
        ["image"] = Image,
        ["restartPolicy"] = "Always",
        ["env"] = new JsonArray(
            Variable("MESHDEV_SERVICE", service),
            Variable("MESHDEV_GATEWAY_LINK_PORT", LinkPort.ToString(CultureInfo.InvariantCulture)),
            Variable("MESHDEV_GATEWAY_PORTS", string.Join(",", Ports.OrderBy(p => p.Key).Select(p => $"{p.Key.ToString(CultureInfo.InvariantCulture)}={p.Value}")))),
        // The app starts once the gateway listens: its first call to another service must not be refused. The kubelet
        // starts the next container only after a sidecar's postStart hook returns, and this one returns once every port
        // listens. Not a probe: the kubelet probes from the node, at the pod's IP, and the gateway listens on 127.0.0.1
        // only; and an exec startupProbe would be retried a whole period (a second) late.
        ["lifecycle"] = new JsonObject
        {
            ["postStart"] = new JsonObject { ["exec"] = new JsonObject { ["command"] = new JsonArray(Binary, "--wait-listening") } },
        },
        ["resources"] = new JsonObject
        {
            ["requests"] = new JsonObject { ["cpu"] = "10m", ["memory"] = "16Mi" },
            ["limits"] = new JsonObject { ["memory"] = "64Mi" },
        },
        ["securityContext"] = new JsonObject
        {
            ["allowPrivilegeEscalation"] = false,
            ["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") },
            ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" },
            ["runAsNonRoot"] = true,
            ["runAsUser"] = User,
            ["readOnlyRootFilesystem"] = true,
        },
    };

    /// <summary>
    /// Adds the gateway to a pod's spec: its container, and, when a mesh port is below 1024, the namespaced sysctl that
    /// lets a process without capabilities (the gateway, user 65532) bind it in the pod's network namespace. The
    /// restricted Pod Security profile allows that sysctl, and a kubelet counts it as safe.
    /// </summary>
    internal void AddTo(JsonObject podSpec, string service)
    {
        var initContainers = podSpec["initContainers"] as JsonArray ?? (JsonArray)(podSpec["initContainers"] = new JsonArray());
        initContainers.Add(Container(service));
        var lowest = Ports.Keys.Append(LinkPort).Min();
        if (lowest >= UnprivilegedPortStart)
        {
            return;
        }

        var security = podSpec["securityContext"] as JsonObject ?? (JsonObject)(podSpec["securityContext"] = new JsonObject());
        var sysctls = security["sysctls"] as JsonArray ?? (JsonArray)(security["sysctls"] = new JsonArray());
        var existing = sysctls.OfType<JsonObject>().FirstOrDefault(s => s["name"]?.GetValue<string>() == PortStartSysctl);
        if (existing is null)
        {
            sysctls.Add(new JsonObject { ["name"] = PortStartSysctl, ["value"] = lowest.ToString(CultureInfo.InvariantCulture) });
        }
        else if (!int.TryParse(existing["value"]?.ToString(), CultureInfo.InvariantCulture, out var set) || set > lowest)
        {
            // The team's pod allows fewer ports than the gateway needs: the gateway's need wins, the team's lower ports stay.
            existing["value"] = lowest.ToString(CultureInfo.InvariantCulture);
        }
    }

    private static JsonObject Variable(string name, string value) => new() { ["name"] = name, ["value"] = value };
}
