using System.Security.Cryptography;
using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// The simulated scheduler and kubelet for one pod: bind it to the node (or report it unschedulable), then move each
/// container through what its image's <see cref="ImageBehaviour"/> says, each step a pod update that watches see, with
/// the Events the real components write. A step's Events (and logs) are written before its status update, so a client
/// that sees a status finds what explains it. Every wait goes through the stand-in's <see cref="TimeProvider"/>.
/// </summary>
internal sealed partial class PodLifecycle(
    ObjectStore store, EventRecorder events, TimeProvider time, PodRun run, Func<string, ImageBehaviour> behaviourOf, string loopbackIp,
    Func<Task<PodNetwork>> createNetwork)
{
    public const string NodeName = "meshdev-standin-node";
    public const string Unschedulable = "0/3 nodes are available: 3 Insufficient cpu.";

    private static readonly TimeSpan MaxBackOff = TimeSpan.FromMinutes(5);

    // Per container: it has started (see Start); a sidecar's completes before the next container starts.
    private readonly Dictionary<string, TaskCompletionSource> _started = new(StringComparer.Ordinal);

    private readonly HashSet<string> _sidecars = new(StringComparer.Ordinal);

    public async Task RunAsync(V1Pod pod)
    {
        // Native sidecars (init containers with restartPolicy: Always, like the mesh's gateway) run beside the app for the
        // pod's whole life. As the kubelet does, the stand-in lists them in initContainerStatuses and starts them first,
        // one after the other, each once the one before has started: its process runs, its postStart hook has returned
        // and its startupProbe has passed. The app's containers start after the last.
        var sidecars = (pod.Spec?.InitContainers ?? []).Where(c => c.RestartPolicy == "Always").ToList();
        _sidecars.UnionWith(sidecars.Select(c => c.Name));
        var apps = pod.Spec?.Containers ?? [];
        var containers = sidecars.Concat(apps).ToList();
        if (containers.Any(c => behaviourOf(c.Image ?? "") is ImageBehaviour.NotSchedulable))
        {
            events.Record(pod, EventRecorder.Warning, "FailedScheduling", Unschedulable, "default-scheduler");
            Update(p => PodStatusRules.Set(p, "PodScheduled", "False", "Unschedulable", Unschedulable, store.Now));
            return;
        }

        events.Record(pod, EventRecorder.Normal, "Scheduled", $"Successfully assigned {run.Namespace}/{run.Name} to {NodeName}", "default-scheduler");
        var sandbox = containers.Any(c => behaviourOf(c.Image ?? "") is ImageBehaviour.Executing) ? await CreateSandboxAsync(pod) : null;
        var podIp = sandbox?.Network.Address.ToString() ?? loopbackIp;
        foreach (var container in containers)
        {
            _started[container.Name] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        var scheduled = Update(p =>
        {
            p.Spec.NodeName = NodeName;
            p.Status.HostIP = "127.0.0.1";
            p.Status.HostIPs = [new V1HostIP { Ip = "127.0.0.1" }];
            p.Status.PodIP = podIp;
            p.Status.PodIPs = [new V1PodIP { Ip = podIp }];
            p.Status.StartTime = store.Now;
            p.Status.QosClass = "BestEffort";
            p.Status.InitContainerStatuses = sidecars.Count == 0 ? null : [.. sidecars.Select(c => NotStarted(c, "ContainerCreating"))];
            p.Status.ContainerStatuses = [.. apps.Select(c => NotStarted(c, sidecars.Count == 0 ? "ContainerCreating" : "PodInitializing"))];
            PodStatusRules.Set(p, "PodScheduled", "True", null, null, store.Now);
        });
        if (sandbox is null && containers.Any(c => behaviourOf(c.Image ?? "") is ImageBehaviour.Executing))
        {
            return;
        }

        var running = new List<Task>();
        try
        {
            foreach (var sidecar in sidecars)
            {
                var task = RunContainerAsync(scheduled, sidecar, behaviourOf(sidecar.Image ?? ""), sandbox);
                running.Add(task);
                await Task.WhenAny(_started[sidecar.Name].Task, task).WaitAsync(run.Stopping);
                if (!_started[sidecar.Name].Task.IsCompleted)
                {
                    return;
                }
            }

            running.AddRange(apps.Select(c => RunContainerAsync(scheduled, c, behaviourOf(c.Image ?? ""), sandbox)));
        }
        finally
        {
            // Each ends once the pod goes: none outlives its lifecycle.
            await Task.WhenAll(running);
        }
    }

    private static V1ContainerStatus NotStarted(V1Container container, string reason) => new()
    {
        Name = container.Name,
        Image = container.Image,
        ImageID = "",
        Ready = false,
        Started = false,
        RestartCount = 0,
        State = Waiting(reason, null),
    };

    private async Task RunContainerAsync(V1Pod pod, V1Container spec, ImageBehaviour behaviour, PodSandbox? sandbox)
    {
        var (container, image) = (spec.Name, spec.Image ?? "");
        try
        {
            switch (behaviour)
            {
                case ImageBehaviour.Executing executing:
                    await ExecuteAsync(pod, spec, executing, sandbox!);
                    break;
                case ImageBehaviour.Running running:
                    await RunAsync(pod, container, image, running);
                    break;
                case ImageBehaviour.CrashLooping crashing:
                    await CrashLoopAsync(pod, container, image, crashing);
                    break;
                case ImageBehaviour.PullFailing failing:
                    await FailPullingAsync(pod, container, image, failing);
                    break;
            }
        }
        catch (OperationCanceledException) when (run.Stopping.IsCancellationRequested)
        {
            // The pod is being deleted, or the stand-in stops.
        }
    }

    private async Task RunAsync(V1Pod pod, string container, string image, ImageBehaviour.Running behaviour)
    {
        Pulled(pod, container, image, firstTime: true);
        run.Logs[container] = new ContainerLog(behaviour.LogLines, null);
        var ready = WaitAsync(behaviour.ReadyAfter);
        Start(pod, container, image);
        await ready;
        SetContainer(container, c => c.Ready = true);
    }

    private async Task CrashLoopAsync(V1Pod pod, string container, string image, ImageBehaviour.CrashLooping behaviour)
    {
        var backOff = behaviour.FirstBackOff;
        for (var attempt = 0; ; attempt++)
        {
            Pulled(pod, container, image, firstTime: attempt == 0);
            var (startedAt, containerId) = Start(pod, container, image);
            run.Logs[container] = new ContainerLog(behaviour.LogLines, attempt == 0 ? null : behaviour.LogLines);
            var terminated = new V1ContainerStateTerminated
            {
                ExitCode = behaviour.ExitCode,
                Reason = "Error",
                StartedAt = startedAt,
                FinishedAt = store.Now,
                ContainerID = containerId,
            };
            SetContainer(container, c =>
            {
                c.State = new V1ContainerState { Terminated = terminated };
                c.Started = false;
            });
            // From the first exit on, the exited run is the "previous" container (kubectl logs --previous).
            run.Logs[container] = new ContainerLog(behaviour.LogLines, behaviour.LogLines);
            await BackOffAsync(pod, container, terminated, backOff);
            backOff = Min(backOff * 2, MaxBackOff);
        }
    }

    /// <summary>The kubelet's wait before restarting an exited container: <c>CrashLoopBackOff</c> and the <c>BackOff</c> Event.</summary>
    private async Task BackOffAsync(V1Pod pod, string container, V1ContainerStateTerminated terminated, TimeSpan backOff)
    {
        var restart = WaitAsync(backOff);
        events.Record(pod, EventRecorder.Warning, "BackOff",
            $"Back-off restarting failed container {container} in pod {run.Name}_{run.Namespace}({run.Uid})",
            "kubelet", NodeName, FieldPath(container));
        SetContainer(container, c =>
        {
            c.LastState = new V1ContainerState { Terminated = terminated };
            c.RestartCount++;
            c.State = Waiting("CrashLoopBackOff",
                $"back-off {GoDuration.Format(backOff)} restarting failed container={container} pod={run.Name}_{run.Namespace}({run.Uid})");
        });
        await restart;
    }

    private async Task FailPullingAsync(V1Pod pod, string container, string image, ImageBehaviour.PullFailing behaviour)
    {
        var reference = FullyQualified(image);
        var error = $"rpc error: code = NotFound desc = failed to pull and unpack image \"{reference}\": failed to resolve reference \"{reference}\": {reference}: not found";
        var backOff = behaviour.FirstBackOff;
        while (true)
        {
            events.Record(pod, EventRecorder.Normal, "Pulling", $"Pulling image \"{image}\"", "kubelet", NodeName, FieldPath(container));
            events.Record(pod, EventRecorder.Warning, "Failed", $"Failed to pull image \"{image}\": {error}", "kubelet", NodeName, FieldPath(container));
            events.Record(pod, EventRecorder.Warning, "Failed", "Error: ErrImagePull", "kubelet", NodeName, FieldPath(container));
            SetContainer(container, c => c.State = Waiting("ErrImagePull", error));
            var retry = WaitAsync(backOff);
            events.Record(pod, EventRecorder.Normal, "BackOff", $"Back-off pulling image \"{image}\"", "kubelet", NodeName, FieldPath(container));
            events.Record(pod, EventRecorder.Warning, "Failed", "Error: ImagePullBackOff", "kubelet", NodeName, FieldPath(container));
            SetContainer(container, c => c.State = Waiting("ImagePullBackOff", $"Back-off pulling image \"{image}\": ErrImagePull: {error}"));
            await retry;
            backOff = Min(backOff * 2, MaxBackOff);
        }
    }

    private void Pulled(V1Pod pod, string container, string image, bool firstTime)
    {
        if (firstTime)
        {
            events.Record(pod, EventRecorder.Normal, "Pulling", $"Pulling image \"{image}\"", "kubelet", NodeName, FieldPath(container));
            events.Record(pod, EventRecorder.Normal, "Pulled",
                $"Successfully pulled image \"{image}\" in 1.024s (1.024s including waiting). Image size: 8388608 bytes.",
                "kubelet", NodeName, FieldPath(container));
        }
        else
        {
            events.Record(pod, EventRecorder.Normal, "Pulled", $"Container image \"{image}\" already present on machine",
                "kubelet", NodeName, FieldPath(container));
        }
    }

    /// <summary>
    /// The container's process runs; it counts as started (<c>started: true</c>, and the next sidecar or the app may
    /// start) at once, or, with <paramref name="started"/> false, once its postStart hook and startupProbe have passed.
    /// </summary>
    private (DateTime StartedAt, string ContainerId) Start(V1Pod pod, string container, string image, bool started = true)
    {
        var startedAt = store.Now;
        var containerId = $"containerd://{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))}";
        events.Record(pod, EventRecorder.Normal, "Created", $"Created container: {container}", "kubelet", NodeName, FieldPath(container));
        events.Record(pod, EventRecorder.Normal, "Started", $"Started container {container}", "kubelet", NodeName, FieldPath(container));
        SetContainer(container, c =>
        {
            c.State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = startedAt } };
            c.Started = started;
            c.Ready = false;
            c.ContainerID = containerId;
            c.ImageID = $"{Repository(FullyQualified(image))}@sha256:{Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(image)))}";
        });
        if (started)
        {
            _started[container].TrySetResult();
        }

        return (startedAt, containerId);
    }

    /// <summary>The container passed its postStart hook and startupProbe: what waits for it to start may go on.</summary>
    private void MarkStarted(string container)
    {
        SetContainer(container, c => c.Started = true);
        _started[container].TrySetResult();
    }

    private void SetContainer(string container, Action<V1ContainerStatus> change) => Update(p =>
    {
        change((p.Status.InitContainerStatuses ?? []).Concat(p.Status.ContainerStatuses ?? []).Single(c => c.Name == container));
        PodStatusRules.Recompute(p, store.Now);
    });

    /// <summary>One kubelet status update; stops the lifecycle once the pod is gone or being deleted.</summary>
    private V1Pod Update(Action<V1Pod> change)
    {
        run.Stopping.ThrowIfCancellationRequested();
        var updated = store.Update<V1Pod>(ApiResources.Pods, run.Namespace, run.Name, p =>
        {
            if (p.Metadata.Uid != run.Uid || p.Metadata.DeletionTimestamp is not null)
            {
                return false;
            }

            p.Status ??= new V1PodStatus();
            change(p);
            return true;
        });
        if (updated is null || updated.Metadata.Uid != run.Uid || updated.Metadata.DeletionTimestamp is not null)
        {
            run.Stop();
            run.Stopping.ThrowIfCancellationRequested();
        }

        return updated!;
    }

    /// <summary>
    /// A wait, started before the update that begins it is published: a test that sees the update and then advances a
    /// fake clock cannot do so before the wait's timer exists.
    /// </summary>
    private Task WaitAsync(TimeSpan delay) => delay > TimeSpan.Zero ? Task.Delay(delay, time, run.Stopping) : Task.CompletedTask;

    private static V1ContainerState Waiting(string reason, string? message) =>
        new() { Waiting = new V1ContainerStateWaiting { Reason = reason, Message = message } };

    private string FieldPath(string container) =>
        _sidecars.Contains(container) ? $"spec.initContainers{{{container}}}" : $"spec.containers{{{container}}}";

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static string Repository(string reference)
    {
        var tag = reference.LastIndexOf(':');
        return tag > reference.LastIndexOf('/') ? reference[..tag] : reference;
    }

    /// <summary>How containerd names an image reference: <c>orders</c> is <c>docker.io/library/orders:latest</c>.</summary>
    private static string FullyQualified(string image)
    {
        var slash = image.IndexOf('/');
        var first = slash < 0 ? "" : image[..slash];
        var named = first.Contains('.') || first.Contains(':') || first == "localhost"
            ? image
            : slash < 0 ? $"docker.io/library/{image}" : $"docker.io/{image}";
        var lastSegment = named[(named.LastIndexOf('/') + 1)..];
        return lastSegment.Contains(':') || lastSegment.Contains('@') ? named : $"{named}:latest";
    }
}
