using k8s.Models;

namespace MeshDev.Kubernetes.Pods;

/// <summary>Reads a pod's status the way a developer would, and says what (if anything) keeps it from ever serving.</summary>
internal static class PodProblems
{
    /// <summary>
    /// Waiting reasons that do not go away by waiting (the kubelet retries, with growing back-off, but the cause is in
    /// the image, the manifest or the node). <c>ErrImagePull</c> is the first failed pull: reported at once, not after
    /// the back-off turns it into <c>ImagePullBackOff</c>.
    /// </summary>
    private static readonly HashSet<string> FatalWaitingReasons = new(StringComparer.Ordinal)
    {
        "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "RegistryUnavailable",
        "CreateContainerConfigError", "CreateContainerError", "RunContainerError", "CrashLoopBackOff",
        "PreCreateHookError", "PostStartHookError", "PreStartHookError",
    };

    public static bool IsReady(V1Pod pod) =>
        pod.Metadata?.DeletionTimestamp is null
        && pod.Status?.Phase == "Running"
        && pod.Status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    public static bool IsTerminating(V1Pod pod) => pod.Metadata?.DeletionTimestamp is not null;

    /// <summary>
    /// Why no node takes <paramref name="pod"/> (the scheduler's message), or null once it is scheduled. Not a problem:
    /// on an autoscaled cluster (cluster-autoscaler, Karpenter, GKE Autopilot) an unschedulable pod is what makes a node
    /// be added, so the launch waits for one until <c>startTimeout</c>; scaling the Deployment down would cancel that.
    /// </summary>
    public static string? UnschedulableReason(V1Pod pod) =>
        !IsTerminating(pod) && pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled" && c.Status == "False" && c.Reason == "Unschedulable") is { } unscheduled
            ? unscheduled.Message ?? "no node can run the pod"
            : null;

    /// <summary>The problem that keeps <paramref name="pod"/> from serving, or null while it is fine or still on its way (an unschedulable pod included).</summary>
    public static PodProblem? Classify(V1Pod pod)
    {
        // A pod on its way out stops its containers on purpose; that is not a failure.
        if (IsTerminating(pod) || pod.Status is not { } status)
        {
            return null;
        }

        var name = pod.Metadata?.Name;
        if (status.Phase is "Failed")
        {
            return new PodProblem(name, status.Reason ?? "Failed", status.Message ?? "the pod failed");
        }

        foreach (var container in status.InitContainerStatuses ?? [])
        {
            if (Waiting(name, container) is { } waiting)
            {
                return waiting;
            }

            if (container.State?.Terminated is { ExitCode: not 0 } failed)
            {
                return new PodProblem(name, failed.Reason ?? "Error", failed.Message ?? $"init container exited with code {failed.ExitCode}", container.Name, failed.ExitCode, LogSource.Current);
            }
        }

        foreach (var container in status.ContainerStatuses ?? [])
        {
            if (Waiting(name, container) is { } waiting)
            {
                return waiting;
            }

            // An app container that ended is a crash (the Deployment's pods always restart): say so now rather than
            // after the back-off turns it into CrashLoopBackOff.
            if (container.State?.Terminated is { } ended)
            {
                return new PodProblem(name, ended.Reason ?? "Error", ended.Message ?? $"exited with code {ended.ExitCode}", container.Name, ended.ExitCode, LogSource.Current);
            }
        }

        return null;
    }

    private static PodProblem? Waiting(string? pod, V1ContainerStatus container)
    {
        if (container.State?.Waiting is not { Reason: { } reason } waiting || !FatalWaitingReasons.Contains(reason))
        {
            return null;
        }

        var last = container.LastState?.Terminated;
        var logs = last is not null && container.RestartCount > 0 ? LogSource.Previous : LogSource.None;
        return new PodProblem(pod, reason, waiting.Message ?? "", container.Name, last?.ExitCode, logs);
    }
}
