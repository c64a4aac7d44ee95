using k8s;
using k8s.Models;

namespace MeshDev.Kubernetes.Pods;

/// <summary>
/// What the watches have shown of one Deployment's current pods and their events: which pod is Ready to take the
/// forwarded connections, and what keeps them from serving. Fed by <see cref="PodWatch"/>; no I/O, so its decisions
/// are tested on pod objects directly. Not thread-safe: the caller serialises updates.
/// </summary>
internal sealed class PodTracker(string deployment)
{
    private readonly Dictionary<string, V1Pod> _pods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _warnings = new(StringComparer.Ordinal);
    private readonly HashSet<string> _scalingUp = new(StringComparer.Ordinal);
    private PodProblem? _creationProblem;
    private string? _readyPod;

    /// <summary>The pods the watch sees now, by name.</summary>
    public IReadOnlyDictionary<string, V1Pod> Pods => _pods;

    /// <summary>The pod connections go to: the one chosen before while it stays Ready, else the oldest Ready one; null when none is.</summary>
    public string? ReadyPod => _readyPod;

    /// <summary>
    /// What keeps the Deployment from serving: a problem of one of its live pods, or (when it has none) the ReplicaSet's
    /// failure to create one (an admission policy, a quota). Null while everything is fine or on its way.
    /// </summary>
    public PodProblem? Problem =>
        _pods.Values
            .Where(p => !PodProblems.IsTerminating(p))
            .OrderBy(p => p.Metadata?.CreationTimestamp ?? DateTime.MaxValue)
            .Select(PodProblems.Classify)
            .FirstOrDefault(p => p is not null)
        ?? (_pods.Values.Any(p => !PodProblems.IsTerminating(p)) ? null : _creationProblem);

    /// <summary>The oldest live pod no node takes yet (what the launch waits for), or null when every one is scheduled.</summary>
    public UnschedulablePod? Unschedulable =>
        _pods.Values
            .OrderBy(p => p.Metadata?.CreationTimestamp ?? DateTime.MaxValue)
            .Select(p => PodProblems.UnschedulableReason(p) is { } reason ? new UnschedulablePod(p.Metadata!.Name, reason, _scalingUp.Contains(p.Metadata.Name)) : null)
            .FirstOrDefault(p => p is not null);

    /// <summary>Replaces everything known with a fresh list (after the watch was re-established).</summary>
    public void Reset(IEnumerable<V1Pod> pods)
    {
        _pods.Clear();
        foreach (var pod in pods)
        {
            Apply(WatchEventType.Added, pod);
        }

        ChooseReadyPod();
    }

    public void Apply(WatchEventType type, V1Pod pod)
    {
        if (pod.Metadata?.Name is not { } name)
        {
            return;
        }

        switch (type)
        {
            case WatchEventType.Added or WatchEventType.Modified:
                _pods[name] = pod;
                // A pod exists, so the ReplicaSet can create them now: an earlier refusal (quota, policy) is over.
                _creationProblem = null;
                break;
            case WatchEventType.Deleted:
                _pods.Remove(name);
                _scalingUp.Remove(name);
                break;
        }

        ChooseReadyPod();
    }

    private void ChooseReadyPod()
    {
        if (_readyPod is not null && _pods.TryGetValue(_readyPod, out var current) && PodProblems.IsReady(current))
        {
            return;
        }

        _readyPod = _pods.Values
            .Where(PodProblems.IsReady)
            .OrderBy(p => p.Metadata?.CreationTimestamp ?? DateTime.MaxValue)
            .Select(p => p.Metadata!.Name)
            .FirstOrDefault();
    }

    /// <summary>
    /// An event of the namespace. <paramref name="fresh"/>: it happened (or repeated) after the watch began; an older
    /// ReplicaSet refusal must not fail this launch, while any event about a pod (names are unique) is relevant.
    /// </summary>
    public void Apply(Corev1Event @event, bool fresh)
    {
        // A Normal event, but the one that says an unschedulable pod gets a node.
        if (@event.Reason == UnschedulablePod.ScaleUpReason && @event.InvolvedObject is { Kind: "Pod", Name: { } scaled })
        {
            _scalingUp.Add(scaled);
            return;
        }

        if (@event.Type != "Warning" || @event.InvolvedObject is not { Name: { } name, Kind: { } kind })
        {
            return;
        }

        if (kind == "Pod")
        {
            // The kubelet follows a detailed warning ("Failed to pull image …: not found") with one that only repeats
            // the reason ("Error: ErrImagePull"); the detailed one is what a developer needs.
            var message = @event.Message ?? @event.Reason ?? "";
            if (!(IsBareReason(message) && _warnings.ContainsKey(name)))
            {
                _warnings[name] = message;
            }
        }
        else if (kind == "ReplicaSet" && fresh && @event.Reason == "FailedCreate" && BelongsToDeployment(name))
        {
            _creationProblem = new PodProblem(null, "FailedCreate", @event.Message ?? "the ReplicaSet could not create a pod");
        }
    }

    /// <summary>The latest warning event about <paramref name="pod"/> (e.g. the registry's answer to a failed pull), if any.</summary>
    public string? WarningFor(string pod) => _warnings.GetValueOrDefault(pod);

    private static bool IsBareReason(string message) =>
        message.StartsWith("Error: ", StringComparison.Ordinal) && !message.AsSpan("Error: ".Length).ContainsAny(' ', ':');

    /// <summary>A ReplicaSet of the Deployment is named <c>{deployment}-{pod-template-hash}</c>; the hash has no '-'.</summary>
    private bool BelongsToDeployment(string replicaSet) =>
        replicaSet.Length > deployment.Length + 1
        && replicaSet.StartsWith(deployment + "-", StringComparison.Ordinal)
        && !replicaSet.AsSpan(deployment.Length + 1).Contains('-');
}
