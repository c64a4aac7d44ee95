using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// The stand-in's node: it runs every pod that appears (see <see cref="PodLifecycle"/>), finishes the deletion of pods
/// that get a <c>deletionTimestamp</c> (stop the containers, then remove the pod: <c>DELETED</c> on watches), and
/// answers for its pods' logs and port-forwards.
/// </summary>
internal sealed class Kubelet : IAsyncDisposable
{
    private readonly ObjectStore _store;
    private readonly EventRecorder _events;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, ImageBehaviour> _behaviours = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PodRun> _runs = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly StoreSubscription _changes;
    private readonly Task _loop;
    private int _podIps;

    public Kubelet(ObjectStore store, EventRecorder events, TimeProvider time)
    {
        _store = store;
        _events = events;
        _time = time;
        _changes = store.WatchEverything();
        _loop = Task.Run(RunAsync);
    }

    /// <summary>How long a deleted pod's containers take to stop before the pod is removed. Default none.</summary>
    public TimeSpan TerminationDelay { get; set; } = TimeSpan.Zero;

    public void SetImageBehaviour(string image, ImageBehaviour behaviour) => _behaviours[image] = behaviour;

    public ImageBehaviour BehaviourOf(string image) => _behaviours.GetValueOrDefault(image) ?? ImageBehaviour.ImagePullFails;

    /// <summary>The log of a container of a pod, as <c>GET …/pods/{name}/log</c> answers it (the same 400s for containers that never ran).</summary>
    public IReadOnlyList<string> Log(V1Pod pod, string container, bool previous)
    {
        var status = pod.Status?.ContainerStatuses?.FirstOrDefault(c => c.Name == container);
        var log = _runs.TryGetValue(pod.Metadata.Uid, out var run) ? run.Logs.GetValueOrDefault(container) : null;
        if (previous)
        {
            return log?.Previous
                ?? throw ApiStatusException.BadRequest($"previous terminated container \"{container}\" in pod \"{pod.Metadata.Name}\" not found");
        }

        if (log is null)
        {
            var waiting = status?.State?.Waiting?.Reason switch
            {
                "ErrImagePull" or "ImagePullBackOff" => "trying and failing to pull image",
                { } reason => reason,
                null => "ContainerCreating",
            };
            throw ApiStatusException.BadRequest($"container \"{container}\" in pod \"{pod.Metadata.Name}\" is waiting to start: {waiting}");
        }

        return log.Current;
    }

    /// <summary>
    /// Where a port-forward to <paramref name="port"/> of the pod goes: the server a running container's
    /// <see cref="ImageBehaviour.Runs"/> names, or nothing (the connection is refused) when no running container serves it.
    /// </summary>
    public ServiceEndpoint? ForwardTarget(V1Pod pod, int port)
    {
        foreach (var container in pod.Spec?.Containers ?? [])
        {
            var running = pod.Status?.ContainerStatuses?.FirstOrDefault(c => c.Name == container.Name)?.State?.Running is not null;
            if (running && BehaviourOf(container.Image ?? "") is ImageBehaviour.Running behaviour && (behaviour.Port is null || behaviour.Port == port))
            {
                return behaviour.Target;
            }
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _changes.Dispose();
        foreach (var run in _runs.Values)
        {
            run.Stop();
        }

        await Task.WhenAll(_runs.Values.Select(r => r.Lifecycle).Append(_loop));
        foreach (var run in _runs.Values)
        {
            run.Dispose();
        }

        _stopping.Dispose();
    }

    private async Task RunAsync()
    {
        try
        {
            await foreach (var change in _changes.Changes.ReadAllAsync(_stopping.Token))
            {
                if (change.Resource != ApiResources.Pods)
                {
                    continue;
                }

                var pod = (V1Pod)change.Object;
                switch (change.Type)
                {
                    case WatchEventType.Added when pod.Metadata.DeletionTimestamp is null:
                        Start(pod);
                        break;
                    case WatchEventType.Modified when pod.Metadata.DeletionTimestamp is not null:
                        Terminate(pod);
                        break;
                    case WatchEventType.Deleted:
                        if (_runs.TryRemove(pod.Metadata.Uid, out var run))
                        {
                            run.Stop();
                        }

                        break;
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private void Start(V1Pod pod)
    {
        var run = new PodRun(pod.Metadata.NamespaceProperty, pod.Metadata.Name, pod.Metadata.Uid, _stopping.Token);
        if (!_runs.TryAdd(pod.Metadata.Uid, run))
        {
            run.Dispose();
            return;
        }

        var n = Interlocked.Increment(ref _podIps);
        // Pod addresses come from the loopback range so that nothing a test does with one can leave the machine.
        var podIp = $"127.244.{n / 250}.{(n % 250) + 1}";
        var lifecycle = new PodLifecycle(_store, _events, _time, run, BehaviourOf, podIp);
        run.Lifecycle = Task.Run(async () =>
        {
            try
            {
                await lifecycle.RunAsync(pod);
            }
            catch (OperationCanceledException) when (run.Stopping.IsCancellationRequested)
            {
                // Deleted, or the stand-in stops.
            }
        });
    }

    private void Terminate(V1Pod pod)
    {
        if (!_runs.TryGetValue(pod.Metadata.Uid, out var run) || !run.BeginTermination())
        {
            return;
        }

        run.Stop();
        _ = Task.Run(async () =>
        {
            foreach (var container in pod.Status?.ContainerStatuses?.Where(c => c.State?.Running is not null) ?? [])
            {
                _events.Record(pod, EventRecorder.Normal, "Killing", $"Stopping container {container.Name}", "kubelet",
                    PodLifecycle.NodeName, $"spec.containers{{{container.Name}}}");
            }

            try
            {
                if (TerminationDelay > TimeSpan.Zero)
                {
                    await Task.Delay(TerminationDelay, _time, _stopping.Token);
                }

                _store.Atomically(() =>
                    _store.Get(ApiResources.Pods, run.Namespace, run.Name) is { } current && current.Metadata.Uid == run.Uid
                        ? _store.Delete(ApiResources.Pods, run.Namespace, run.Name)
                        : null);
            }
            catch (OperationCanceledException)
            {
            }
        });
    }
}
