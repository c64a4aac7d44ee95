namespace MeshDev.Kubernetes.Pods;

/// <summary>
/// A pod no node takes yet: the launch waits for one (see <see cref="PodProblems.UnschedulableReason"/>) and says why
/// meanwhile, and at <c>startTimeout</c> ends with it.
/// </summary>
/// <param name="Reason">The scheduler's message: <c>0/3 nodes are available: 3 Insufficient cpu.</c></param>
/// <param name="ScalingUp">The cluster autoscaler reported <c>TriggeredScaleUp</c> for it: a node is being added.</param>
internal sealed record UnschedulablePod(string Pod, string Reason, bool ScalingUp)
{
    /// <summary>The Event reason the cluster autoscaler (also GKE's) gives a pod it adds a node for.</summary>
    public const string ScaleUpReason = "TriggeredScaleUp";

    /// <summary><c>pod orders-x is unschedulable (0/3 nodes are available: 3 Insufficient cpu.)</c>, and whether a node is coming.</summary>
    public string Describe() => $"pod {Pod} is unschedulable ({Reason.Trim()}){(ScalingUp ? "; the cluster is adding a node" : "")}";
}
