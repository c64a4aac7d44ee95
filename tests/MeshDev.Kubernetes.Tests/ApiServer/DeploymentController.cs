using k8s;
using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// The Deployment (and ReplicaSet) controller of the stand-in: keeps <c>spec.replicas</c> pods of a Deployment's
/// current template, named <c>{deployment}-{pod-template-hash}-{5 random}</c> and owned by the ReplicaSet of that
/// name (which is not served itself); deletes surplus and old-template pods gracefully (the kubelet finishes them);
/// writes the Deployment's status and its <c>ScalingReplicaSet</c> Events. Reacts to every change, like an informer.
/// </summary>
internal sealed class DeploymentController : IAsyncDisposable
{
    private readonly ObjectStore _store;
    private readonly EventRecorder _events;
    private readonly CancellationTokenSource _stopping = new();
    private readonly StoreSubscription _changes;
    private readonly Task _loop;

    public DeploymentController(ObjectStore store, EventRecorder events)
    {
        _store = store;
        _events = events;
        _changes = store.WatchEverything();
        _loop = Task.Run(RunAsync);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _changes.Dispose();
        await _loop;
        _stopping.Dispose();
    }

    private async Task RunAsync()
    {
        var pending = new HashSet<(string Namespace, string Name)>();
        try
        {
            while (await _changes.Changes.WaitToReadAsync(_stopping.Token))
            {
                // Coalesce what has arrived, then reconcile each deployment once, as a work queue does.
                while (_changes.Changes.TryRead(out var change))
                {
                    if (OwningDeployment(change) is { } key)
                    {
                        pending.Add(key);
                    }
                }

                foreach (var (@namespace, name) in pending)
                {
                    _store.Atomically(() => Reconcile(@namespace, name));
                }

                pending.Clear();
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private static (string, string)? OwningDeployment(StoredChange change)
    {
        if (change.Resource == ApiResources.Deployments)
        {
            return (change.Object.Metadata.NamespaceProperty, change.Object.Metadata.Name);
        }

        if (change.Resource == ApiResources.Pods && OwnerName(change.Object) is { } owner)
        {
            return (change.Object.Metadata.NamespaceProperty, owner);
        }

        return null;
    }

    /// <summary>The deployment a pod's ReplicaSet belongs to: the owner name less its <c>-{pod-template-hash}</c>.</summary>
    private static string? OwnerName(IKubernetesObject<V1ObjectMeta> pod)
    {
        var owner = pod.Metadata.OwnerReferences?.FirstOrDefault(o => o.Kind == "ReplicaSet" && o.Controller == true);
        string? hash = null;
        pod.Metadata.Labels?.TryGetValue(PodTemplateHash.Label, out hash);
        return owner is not null && hash is not null && owner.Name.EndsWith($"-{hash}", StringComparison.Ordinal)
            ? owner.Name[..^(hash.Length + 1)]
            : null;
    }

    private bool Reconcile(string @namespace, string name)
    {
        var owned = _store.List<V1Pod>(ApiResources.Pods, @namespace).Where(p => OwnerName(p) == name).ToList();
        var active = owned.Where(p => p.Metadata.DeletionTimestamp is null).ToList();
        var deployment = _store.Get<V1Deployment>(ApiResources.Deployments, @namespace, name);
        if (deployment is null || deployment.Metadata.DeletionTimestamp is not null)
        {
            // Garbage collection of a deleted Deployment's pods.
            active.ForEach(TerminateGracefully);
            return true;
        }

        var hash = PodTemplateHash.Of(deployment.Spec.Template);
        var replicaSet = $"{name}-{hash}";
        foreach (var old in active.Where(p => p.Metadata.Labels[PodTemplateHash.Label] != hash).GroupBy(p => p.Metadata.Labels[PodTemplateHash.Label]))
        {
            old.ToList().ForEach(TerminateGracefully);
            _events.Record(deployment, EventRecorder.Normal, "ScalingReplicaSet",
                $"Scaled down replica set {name}-{old.Key} from {old.Count()} to 0", "deployment-controller");
        }

        var current = active.Where(p => p.Metadata.Labels[PodTemplateHash.Label] == hash).ToList();
        var desired = deployment.Spec.Replicas ?? 1;
        if (current.Count < desired)
        {
            for (var i = current.Count; i < desired; i++)
            {
                _store.Create(ApiResources.Pods, NewPod(deployment, replicaSet, hash));
            }

            _events.Record(deployment, EventRecorder.Normal, "ScalingReplicaSet",
                $"Scaled up replica set {replicaSet} from {current.Count} to {desired}", "deployment-controller");
        }
        else if (current.Count > desired)
        {
            // The ReplicaSet controller deletes pods that are not ready first, then the newest.
            foreach (var surplus in current.OrderBy(PodStatusRules.IsReady).ThenByDescending(p => p.Metadata.CreationTimestamp).Take(current.Count - desired))
            {
                TerminateGracefully(surplus);
            }

            _events.Record(deployment, EventRecorder.Normal, "ScalingReplicaSet",
                $"Scaled down replica set {replicaSet} from {current.Count} to {desired}", "deployment-controller");
        }

        WriteStatus(deployment, replicaSet, hash);
        return true;
    }

    private void TerminateGracefully(V1Pod pod)
    {
        var grace = pod.Spec?.TerminationGracePeriodSeconds ?? 30;
        _store.Update<V1Pod>(ApiResources.Pods, pod.Metadata.NamespaceProperty, pod.Metadata.Name, p =>
        {
            if (p.Metadata.DeletionTimestamp is not null)
            {
                return false;
            }

            p.Metadata.DeletionTimestamp = _store.Now.AddSeconds(grace);
            p.Metadata.DeletionGracePeriodSeconds = grace;
            return true;
        });
    }

    private static V1Pod NewPod(V1Deployment deployment, string replicaSet, string hash)
    {
        var template = KubernetesJson.Deserialize<V1PodTemplateSpec>(KubernetesJson.Serialize(deployment.Spec.Template));
        var labels = new Dictionary<string, string>(template.Metadata?.Labels ?? new Dictionary<string, string>()) { [PodTemplateHash.Label] = hash };
        return new V1Pod
        {
            Metadata = new V1ObjectMeta
            {
                Name = $"{replicaSet}-{RandomSuffix.Next(5)}",
                GenerateName = $"{replicaSet}-",
                NamespaceProperty = deployment.Metadata.NamespaceProperty,
                Labels = labels,
                Annotations = template.Metadata?.Annotations,
                OwnerReferences =
                [
                    new V1OwnerReference
                    {
                        ApiVersion = "apps/v1",
                        Kind = "ReplicaSet",
                        Name = replicaSet,
                        Uid = ReplicaSetUid(deployment, hash),
                        Controller = true,
                        BlockOwnerDeletion = true,
                    },
                ],
            },
            Spec = template.Spec,
            Status = new V1PodStatus { Phase = "Pending", QosClass = "BestEffort" },
        };
    }

    private static string ReplicaSetUid(V1Deployment deployment, string hash) =>
        new Guid(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{deployment.Metadata.Uid}/{hash}")).AsSpan(0, 16)).ToString();

    private void WriteStatus(V1Deployment deployment, string replicaSet, string hash)
    {
        var pods = _store.List<V1Pod>(ApiResources.Pods, deployment.Metadata.NamespaceProperty)
            .Where(p => OwnerName(p) == deployment.Metadata.Name)
            .ToList();
        var active = pods.Where(p => p.Metadata.DeletionTimestamp is null).ToList();
        var desired = deployment.Spec.Replicas ?? 1;
        var updated = active.Count(p => p.Metadata.Labels[PodTemplateHash.Label] == hash);
        var ready = active.Count(PodStatusRules.IsReady);
        var terminating = pods.Count - active.Count;
        // RollingUpdate's default maxUnavailable is 25%, rounded down.
        var available = ready >= desired - (desired / 4);
        var progressed = updated == desired && ready == desired && active.Count == desired;

        _store.Update<V1Deployment>(ApiResources.Deployments, deployment.Metadata.NamespaceProperty, deployment.Metadata.Name, d =>
        {
            var now = _store.Now;
            var status = d.Status ??= new V1DeploymentStatus();
            status.ObservedGeneration = d.Metadata.Generation;
            // The API server leaves zero counts out.
            status.Replicas = NullIfZero(active.Count);
            status.UpdatedReplicas = NullIfZero(updated);
            status.ReadyReplicas = NullIfZero(ready);
            status.AvailableReplicas = NullIfZero(ready);
            status.UnavailableReplicas = NullIfZero(Math.Max(0, Math.Max(desired, active.Count) - ready));
            status.TerminatingReplicas = NullIfZero(terminating);
            SetCondition(status, "Available", available,
                available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                available ? "Deployment has minimum availability." : "Deployment does not have minimum availability.", now);
            SetCondition(status, "Progressing", true,
                progressed ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
                progressed ? $"ReplicaSet \"{replicaSet}\" has successfully progressed." : $"ReplicaSet \"{replicaSet}\" is progressing.", now);
            return true;
        });
    }

    private static int? NullIfZero(int value) => value == 0 ? null : value;

    private static void SetCondition(V1DeploymentStatus status, string type, bool value, string reason, string message, DateTime now)
    {
        var conditions = status.Conditions ?? [];
        var existing = conditions.FirstOrDefault(c => c.Type == type);
        var text = value ? "True" : "False";
        if (existing is not null && existing.Status == text && existing.Reason == reason && existing.Message == message)
        {
            return;
        }

        var condition = new V1DeploymentCondition
        {
            Type = type,
            Status = text,
            Reason = reason,
            Message = message,
            LastUpdateTime = now,
            LastTransitionTime = existing?.Status == text ? existing.LastTransitionTime : now,
        };
        status.Conditions = conditions.Where(c => c.Type != type).Append(condition).OrderBy(c => c.Type == "Available" ? 0 : 1).ToList();
    }
}
