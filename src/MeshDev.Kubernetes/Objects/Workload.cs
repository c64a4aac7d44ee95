using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace MeshDev.Kubernetes.Objects;

/// <summary>One object MeshDev applies: its body as JSON (labels already added) and where it came from, for messages.</summary>
internal sealed record WorkloadObject(string ApiVersion, string Kind, string Name, JsonObject Body, string Source)
{
    public string Describe(string @namespace) => $"{Kind} '{Name}' in namespace {@namespace}";
}

/// <summary>
/// What MeshDev applies for one service and what it scales: a Deployment (and Service) generated from the manifest's
/// settings, or the team's own manifest files. The Deployment's body asks for one replica: applying it is the scale-up.
/// </summary>
internal sealed record Workload
{
    public required string Namespace { get; init; }

    /// <summary>The Deployment that is scaled between 0 and 1.</summary>
    public required string Deployment { get; init; }

    /// <summary>Everything to apply, in order (config first, the Deployment last, so its pods find what they mount).</summary>
    public required IReadOnlyList<WorkloadObject> Objects { get; init; }

    /// <summary>Selects the pods of the current configuration only: a pod of an older one is never routed to.</summary>
    public required string PodSelector { get; init; }

    /// <summary>A hash of what is applied; on the Deployment as a label, so a matching Deployment is only scaled, not re-applied.</summary>
    public required string ConfigHash { get; init; }

    /// <summary>The port the app listens on inside its pod, where connections are forwarded.</summary>
    public required int PodPort { get; init; }

    /// <summary>What the developer changes when the image runs as root but the pod must not (CreateContainerConfigError).</summary>
    public required string RootImageHint { get; init; }

    /// <summary>Where the objects come from, for the log: <c>generated from image shop/orders:dev</c>.</summary>
    public required string Origin { get; init; }

    /// <summary>Whether its pods run the mesh's gateway sidecar (and so get a link from the laptop).</summary>
    public bool HasGateway { get; init; }

    /// <summary>A short stable hash of some text: label values are limited to 63 characters.</summary>
    public static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 8));
}
