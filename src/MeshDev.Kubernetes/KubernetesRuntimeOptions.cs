using MeshDev.Kubernetes.Cluster;
using MeshDev.Kubernetes.Objects;

namespace MeshDev.Kubernetes;

/// <summary>How the Kubernetes runtime of one mesh runs: whose objects it makes, in which mesh, from which kubeconfig.</summary>
public sealed record KubernetesRuntimeOptions
{
    /// <summary>This mesh's id (<see cref="MeshDev.Runtime.MeshIdentity"/>): the <c>dev.meshdev.mesh</c> label of its objects.</summary>
    public required string MeshId { get; init; }

    /// <summary>The manifest, recorded on each object so a clash with another mesh can name it.</summary>
    public required string ManifestPath { get; init; }

    /// <summary>The <c>dev.meshdev.owner</c> label value and the default namespace's suffix.</summary>
    public string Owner { get; init; } = MeshLabels.CurrentOwner();

    /// <summary><c>meshdev up --adopt</c>: use a namespace that exists without this developer's owner label (and label it).</summary>
    public bool AdoptNamespaces { get; init; }

    /// <summary>Where the kubeconfig is read from; default <c>KUBECONFIG</c>, else <c>~/.kube/config</c>.</summary>
    public KubeConfigSource KubeConfig { get; init; } = KubeConfigSource.FromEnvironment();

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// The gateway sidecar put in every generated pod, so its app calls (and is called by) every service of the mesh;
    /// null leaves pods as leaves that reach nothing through the mesh.
    /// </summary>
    public GatewaySidecar? Gateway { get; init; }

    /// <summary>
    /// The gateway image the mesh makes itself: its reference replaces <see cref="Gateway"/>'s image in generated pods, and
    /// a launch waits for its build before writing one; null keeps <see cref="Gateway"/>'s image (<c>mesh.kubernetes.gatewayImage</c>).
    /// </summary>
    public LocalGatewayImage? LocalGatewayImage { get; init; }

    /// <summary>Calls from pods (announced callers, direct calls between pods), counted by the mesh.</summary>
    public MeshDev.Calls.ClusterCalls Calls { get; init; } = new();
}
