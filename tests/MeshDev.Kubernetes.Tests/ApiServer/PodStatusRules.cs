using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// How the kubelet derives a pod's phase and conditions from its containers: Pending until every container has started
/// once (a crash-looping pod stays Running), Ready when every container is ready.
/// </summary>
internal static class PodStatusRules
{
    private static readonly string[] ConditionOrder = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"];

    public static void Recompute(V1Pod pod, DateTime now)
    {
        var status = pod.Status ??= new V1PodStatus();
        if (Condition(pod, "PodScheduled")?.Status != "True")
        {
            status.Phase = "Pending";
            return;
        }

        // Native sidecars (initContainerStatuses) must all have started before the pod is initialized and its app
        // containers run; the pod is ready when every container, sidecars included, is.
        var sidecars = status.InitContainerStatuses ?? [];
        var containers = status.ContainerStatuses ?? [];
        var incomplete = sidecars.Where(c => c.Started != true).Select(c => c.Name).ToList();
        var initialized = incomplete.Count == 0;
        var started = initialized && containers.Count > 0 && containers.All(c =>
            c.State?.Running is not null || c.State?.Terminated is not null || c.RestartCount > 0);
        status.Phase = started ? "Running" : "Pending";

        var unready = sidecars.Concat(containers).Where(c => !c.Ready).Select(c => c.Name).ToList();
        var ready = containers.Count > 0 && unready.Count == 0;
        var reason = ready ? null : "ContainersNotReady";
        var message = ready ? null : $"containers with unready status: [{string.Join(" ", unready)}]";
        Set(pod, "PodReadyToStartContainers", "True", null, null, now);
        Set(pod, "Initialized", initialized ? "True" : "False", initialized ? null : "ContainersNotInitialized",
            initialized ? null : $"containers with incomplete status: [{string.Join(" ", incomplete)}]", now);
        Set(pod, "Ready", ready ? "True" : "False", reason, message, now);
        Set(pod, "ContainersReady", ready ? "True" : "False", reason, message, now);
    }

    public static bool IsReady(V1Pod pod) => Condition(pod, "Ready")?.Status == "True";

    public static V1PodCondition? Condition(V1Pod pod, string type) => pod.Status?.Conditions?.FirstOrDefault(c => c.Type == type);

    /// <summary>Sets a condition, keeping its <c>lastTransitionTime</c> unless its status flips, in the kubelet's order.</summary>
    public static void Set(V1Pod pod, string type, string status, string? reason, string? message, DateTime now)
    {
        var conditions = (pod.Status ??= new V1PodStatus()).Conditions ?? [];
        var existing = conditions.FirstOrDefault(c => c.Type == type);
        var condition = new V1PodCondition
        {
            Type = type,
            Status = status,
            Reason = reason,
            Message = message,
            LastTransitionTime = existing?.Status == status ? existing.LastTransitionTime : now,
        };
        pod.Status.Conditions = conditions.Where(c => c.Type != type).Append(condition)
            .OrderBy(c => Array.IndexOf(ConditionOrder, c.Type) is var i && i < 0 ? int.MaxValue : i)
            .ToList();
    }
}
