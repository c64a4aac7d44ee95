using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// The stand-in's node: it runs every pod that appears (see <see cref="PodLifecycle"/>), finishes the deletion of pods
/// that get a <c>deletionTimestamp</c> (stop the containers, then remove the pod: <c>DELETED</c> on watches), and
/// answers for its pods' logs and port-forwards. Pods of <see cref="ImageBehaviour.Executes"/> images run as real
/// processes in network namespaces on a bridge of the node's own (<see cref="NodeNetwork"/>), made when the first such
/// pod comes and removed with the kubelet.
/// </summary>
internal sealed class Kubelet : IAsyncDisposable
{
    /// <summary>The longest a deleted pod's processes are given to stop before they are killed, whatever the pod asks.</summary>
    private const long MaxGracePeriodSeconds = 30;

    private readonly ObjectStore _store;
    private readonly EventRecorder _events;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, ImageBehaviour> _behaviours = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PodRun> _runs = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly StoreSubscription _changes;
    private readonly Task _loop;
    private readonly Lazy<Task<NodeNetwork>> _node;
    private readonly List<Task> _teardowns = [];
    private int _podIps;

    public Kubelet(ObjectStore store, EventRecorder events, TimeProvider time)
    {
        _store = store;
        _events = events;
        _time = time;
        _changes = store.WatchEverything();
        NetworkPrefix = NodeNetwork.NextPrefix();
        _node = new Lazy<Task<NodeNetwork>>(() => NodeNetwork.CreateAsync(NetworkPrefix));
        _loop = Task.Run(RunAsync);
    }

    /// <summary>What the names of every network namespace of this kubelet start with.</summary>
    public string NetworkPrefix { get; }

    /// <summary>How long a deleted pod's containers take to stop before the pod is removed. Default none.</summary>
    public TimeSpan TerminationDelay { get; set; } = TimeSpan.Zero;

    public void SetImageBehaviour(string image, ImageBehaviour behaviour) => _behaviours[image] = behaviour;

    public ImageBehaviour BehaviourOf(string image) => _behaviours.GetValueOrDefault(image) ?? ImageBehaviour.ImagePullFails;

    /// <summary>
    /// The log of a container of a pod, as <c>GET …/pods/{name}/log</c> answers it (the same 400s for containers that
    /// never ran); with <paramref name="follow"/>, and a real process, also its lines to come until it ends.
    /// </summary>
    public (IReadOnlyList<string> Lines, ChannelReader<string>? Later) Log(V1Pod pod, string container, bool previous, bool follow = false)
    {
        var status = (pod.Status?.InitContainerStatuses ?? []).Concat(pod.Status?.ContainerStatuses ?? []).FirstOrDefault(c => c.Name == container);
        var log = _runs.TryGetValue(pod.Metadata.Uid, out var run) ? run.Logs.GetValueOrDefault(container) : null;
        if (previous)
        {
            return (log?.Previous
                ?? throw ApiStatusException.BadRequest($"previous terminated container \"{container}\" in pod \"{pod.Metadata.Name}\" not found"), null);
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

        if (log.Live is { } live)
        {
            return follow ? live.Follow() : (live.Lines(), null);
        }

        return (log.Current, null);
    }

    /// <summary>The network namespace of a pod of <see cref="ImageBehaviour.Executes"/> images, once made; else null.</summary>
    public PodNetwork? NetworkOf(V1Pod pod) => _runs.GetValueOrDefault(pod.Metadata.Uid)?.Sandbox?.Network;

    /// <summary>
    /// A port-forward's connection to <paramref name="port"/> of the pod: to 127.0.0.1 (then ::1) inside the pod's
    /// network namespace when it has one, as the kubelet does; else to the server <see cref="ForwardTarget"/> names.
    /// Null when refused.
    /// </summary>
    public async Task<Socket?> ConnectAsync(V1Pod pod, int port, CancellationToken cancellationToken)
    {
        if (NetworkOf(pod) is { } network)
        {
            foreach (var loopback in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
            {
                try
                {
                    return await network.ConnectAsync(new IPEndPoint(loopback, port), cancellationToken);
                }
                catch (SocketException)
                {
                }
            }

            return null;
        }

        if (ForwardTarget(pod, port) is not { } target)
        {
            return null;
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(target.Host, target.Port, cancellationToken);
            socket.NoDelay = true;
            return socket;
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
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
        // A node going away: every process is killed at once (the grace period is cut short), every namespace removed.
        var stops = _runs.Values.Select(r => r.StopSandboxAsync(TimeSpan.Zero, _stopping.Token)).ToList();
        await Task.WhenAll(_runs.Values.Select(r => r.Lifecycle).Append(_loop));
        await Task.WhenAll(stops.Concat(Teardowns()));
        if (_node.IsValueCreated && _node.Value.IsCompletedSuccessfully)
        {
            await (await _node.Value).DeleteAsync();
        }

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
                            // Removed without a grace period (gracePeriodSeconds=0, its namespace deleted): killed now.
                            Track(run.StopSandboxAsync(TimeSpan.Zero, _stopping.Token));
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
        // Pods that run nothing get addresses from the loopback range, so nothing a test does with one can leave the machine.
        var podIp = $"127.244.{n / 250}.{(n % 250) + 1}";
        var lifecycle = new PodLifecycle(_store, _events, _time, run, BehaviourOf, podIp, async () => await (await _node.Value).AddPodAsync());
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
        var grace = TimeSpan.FromSeconds(Math.Clamp(pod.Metadata.DeletionGracePeriodSeconds ?? pod.Spec?.TerminationGracePeriodSeconds ?? 30, 0, MaxGracePeriodSeconds));
        Track(Task.Run(async () =>
        {
            // The app's containers first, then the sidecars, as the kubelet stops them.
            var running = (pod.Status?.ContainerStatuses ?? []).Select(c => (Status: c, Field: "containers"))
                .Concat((pod.Status?.InitContainerStatuses ?? []).Select(c => (Status: c, Field: "initContainers")))
                .Where(c => c.Status.State?.Running is not null);
            foreach (var (container, field) in running)
            {
                _events.Record(pod, EventRecorder.Normal, "Killing", $"Stopping container {container.Name}", "kubelet",
                    PodLifecycle.NodeName, $"spec.{field}{{{container.Name}}}");
            }

            try
            {
                await run.StopSandboxAsync(grace, _stopping.Token);
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
        }));
    }

    private void Track(Task teardown)
    {
        lock (_teardowns)
        {
            _teardowns.RemoveAll(t => t.IsCompleted);
            _teardowns.Add(teardown);
        }
    }

    private List<Task> Teardowns()
    {
        lock (_teardowns)
        {
            return [.. _teardowns];
        }
    }
}
