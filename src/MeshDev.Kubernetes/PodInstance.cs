using System.Net;
using System.Net.WebSockets;
using k8s;
using MeshDev.Catalog;
using MeshDev.Kubernetes.Cluster;
using MeshDev.Kubernetes.Forwarding;
using MeshDev.Kubernetes.Links;
using MeshDev.Kubernetes.Objects;
using MeshDev.Kubernetes.Pods;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes;

/// <summary>
/// A service running as a Deployment scaled to 1 in the developer's namespace, reached at a local port that forwards
/// each connection to its Ready pod through the API server. Ready as soon as the pod watch sees the pod Ready; ended
/// (with the reason, the event's message and the container's last lines) as soon as a failure shows in the pod's
/// status or events; stopped by scaling the Deployment to 0.
/// </summary>
internal sealed class PodInstance : IServiceInstance
{
    private static readonly TimeSpan WarningWait = TimeSpan.FromMilliseconds(500);
    private const int ProblemLogLines = 3;

    private readonly ClusterClient _client;
    private readonly Workload _workload;
    private readonly ServiceSpec _service;
    private readonly ServiceLog _log;
    private readonly TimeProvider _time;
    private readonly PodWatch _watch;
    private readonly PodLogs _logs;
    private readonly PortForwardListener _forward;
    private readonly InstanceLink? _link;
    private readonly TaskCompletionSource<int?> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly ITimer _deadline;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile string? _target;
    private string? _checking;
    private string? _waitingNote;
    private bool _ending;
    private Task _end = Task.CompletedTask;
    private int _scaledDown;

    private PodInstance(ClusterClient client, Workload workload, LaunchRequest request, TimeProvider time, bool adopted, InstanceLink? link)
    {
        _link = link;
        _client = client;
        _workload = workload;
        _service = request.Service;
        _log = request.Log;
        _time = time;
        _logs = new PodLogs(client, workload.Namespace, request.Log, skipExistingOutput: adopted);
        _forward = new PortForwardListener(() => _target, ConnectAsync, request.Log.Write);
        _watch = new PodWatch(client, workload.Namespace, workload.Deployment, workload.PodSelector, OnChanged, request.Log.Write);
        Readiness = new WatchedReadiness(this);

        // The activator's own timeout only knows its probe; just before it, say what the pod is really doing.
        var timeout = request.Service.StartTimeout;
        var margin = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(1).Ticks, timeout.Ticks / 10));
        _deadline = time.CreateTimer(_ => OnDeadline(), null, timeout - margin, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Starts watching the Deployment's pods and listening on the local forward port; returns at once.</summary>
    /// <param name="link">The links of a pod with the gateway sidecar; null for a leaf.</param>
    public static PodInstance Start(ClusterClient client, Workload workload, LaunchRequest request, TimeProvider time, bool adopted, InstanceLink? link = null)
    {
        var instance = new PodInstance(client, workload, request, time, adopted, link);
        instance._watch.Start();
        return instance;
    }

    public ServiceEndpoint Endpoint => new("127.0.0.1", _forward.Port);

    public Task<int?> Exited => _exited.Task;

    public IReadinessProbe? Readiness { get; }

    public string Description => _target is { } pod
        ? $"pod {pod} of Deployment {_workload.Deployment} in namespace {_workload.Namespace}, forwarded from 127.0.0.1:{_forward.Port}"
        : $"Deployment {_workload.Deployment} in namespace {_workload.Namespace}";

    /// <summary>True once the watch saw a Ready pod and a port-forward to it was accepted.</summary>
    public bool IsReady => _target is not null;

    /// <summary>
    /// Completes once an ended instance has released everything and scaled its Deployment down (at once while it runs):
    /// the next launch of the service waits for it, so that scale-down cannot land after the next scale-up.
    /// </summary>
    public Task Settled
    {
        get
        {
            lock (_gate)
            {
                return _ending ? _end : Task.CompletedTask;
            }
        }
    }

    /// <summary>The state of the link to the pod's gateway, for status; null for a pod without the gateway.</summary>
    public string? Link => _link?.Describe() ?? (_link is not null ? "link: waiting for the pod's gateway to run" : null);

    /// <summary>Connections forwarded right now.</summary>
    public int OpenConnections => _forward.OpenConnections;

    private Task<WebSocket> ConnectAsync(string pod, CancellationToken cancellationToken) =>
        _client.WebSocketNamespacedPodPortForwardAsync(pod, _workload.Namespace, [_workload.PodPort], PortForwardTunnel.Protocol, cancellationToken: cancellationToken);

    private void OnChanged()
    {
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        lock (_gate)
        {
            // Read under the lock: the pod and the event watch both call here, and a decision must never rest on a
            // view older than one already acted on.
            if (_ending)
            {
                return;
            }

            var view = _watch.View();
            _logs.Follow(view.Pods);
            _link?.Follow(view.Pods);

            if (view.WatchFailure is { } failure)
            {
                EndLocked(() => Task.FromResult(failure));
                return;
            }

            if (view.ReadyPod is { } ready)
            {
                if (_target is null && _checking is null)
                {
                    _checking = ready;
                    _ = Task.Run(() => CheckForwardAsync(ready));
                }
                else if (_target is not null && _target != ready)
                {
                    _log.Write($"meshdev: pod {_target} is gone or not Ready; forwarding to pod {ready} now");
                    _target = ready;
                    _link?.SetReady(PodIp(view, ready));
                }

                return;
            }

            if (view.Problem is { } problem)
            {
                EndLocked(() => DescribeAsync(problem, view));
                return;
            }

            if (view.Unschedulable is { } unschedulable && _target is null)
            {
                NoteWaitingForNodeLocked(unschedulable);
                return;
            }

            if (_target is { } lost)
            {
                // The pod went away or stopped being Ready: the activator hears that the instance ended, and the next call
                // scales up again and waits for a Ready pod, rather than being forwarded nowhere meanwhile.
                var what = view.Pods.FirstOrDefault(p => p.Metadata?.Name == lost) switch
                {
                    null => "went away (deleted or evicted)",
                    var pod when PodProblems.IsTerminating(pod) => "is being deleted (kubectl delete, a node drain or an eviction)",
                    _ => "is no longer Ready (its readiness probe fails)",
                };
                EndLocked(() => Task.FromResult($"pod {lost} of Deployment {_workload.Deployment} {what}"));
            }
        }
    }

    /// <summary>
    /// One port-forward is opened to the pod before it counts as ready, so that a Role without <c>pods/portforward</c>
    /// (or an API server that refuses the upgrade) fails the launch with its reason instead of every later connection.
    /// </summary>
    private async Task CheckForwardAsync(string pod)
    {
        string? refusal = null;
        using var timeout = new CancellationTokenSource(ClusterClient.RequestTimeout);
        try
        {
            using var tunnel = await ConnectAsync(pod, timeout.Token).ConfigureAwait(false);
            using var close = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await tunnel.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, close.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var why = e is WebSocketException
                ? await _client.ExplainUpgradeFailureAsync($"api/v1/namespaces/{_workload.Namespace}/pods/{pod}/portforward?ports={_workload.PodPort}", timeout.Token).ConfigureAwait(false) ?? e
                : e;
            if (ApiErrors.StatusOf(why) is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized || why is HttpRequestException)
            {
                refusal = ApiErrors.Describe(why, $"port-forwarding to pod {pod}", _client);
            }
            else
            {
                // The forward itself may still work for real connections; say what happened and go on.
                _log.Write($"meshdev: a trial port-forward to pod {pod} failed ({ApiErrors.ServerMessage(e)}); routing to it anyway");
            }
        }

        lock (_gate)
        {
            _checking = null;
            if (_ending)
            {
                return;
            }

            if (refusal is not null)
            {
                EndLocked(() => Task.FromResult(refusal));
                return;
            }

            _target = pod;
            _link?.SetReady(PodIp(_watch.View(), pod));
        }

        _log.Write($"meshdev: pod {pod} is ready; 127.0.0.1:{_forward.Port} forwards to its port {_workload.PodPort} through the API server");
        OnChanged();
    }

    /// <summary>
    /// An unschedulable pod is waited for, not failed: on an autoscaled cluster a node is added because of it. The
    /// launch's progress says why it waits, once per change (a scale-up beginning is one).
    /// </summary>
    private void NoteWaitingForNodeLocked(UnschedulablePod unschedulable)
    {
        var note = unschedulable.Describe();
        if (note == _waitingNote)
        {
            return;
        }

        _waitingNote = note;
        _log.Write($"meshdev: {note}; waiting for a node until startTimeout ({Format(_service.StartTimeout)})");
    }

    private static string? PodIp(PodView view, string pod) => view.Pods.FirstOrDefault(p => p.Metadata?.Name == pod)?.Status?.PodIP;

    private void OnDeadline()
    {
        lock (_gate)
        {
            if (_ending || _target is not null)
            {
                return;
            }

            var view = _watch.View();
            EndLocked(() => DescribeSlowStartAsync(view));
        }
    }

    private async Task<string> DescribeAsync(PodProblem problem, PodView view)
    {
        var warning = view.ProblemWarning ?? (problem.Pod is { } pod ? await WaitForWarningAsync(pod).ConfigureAwait(false) : null);
        var lines = await _logs.LastLinesAsync(problem, view.Pods.FirstOrDefault(p => p.Metadata?.Name == problem.Pod), ProblemLogLines).ConfigureAwait(false);
        return problem.Describe(warning, lines, _workload.RootImageHint);
    }

    /// <summary>Why the pod is not Ready after most of <c>startTimeout</c>: what it waits for, in Kubernetes' words.</summary>
    private async Task<string> DescribeSlowStartAsync(PodView view)
    {
        var after = $"not ready after {Format(_service.StartTimeout)}";
        if (view.Unschedulable is { } unschedulable)
        {
            var scaling = unschedulable.ScalingUp ? " (the cluster was adding a node, which did not take it in time)" : "";
            return $"{after}: pod {unschedulable.Pod} is unschedulable: {unschedulable.Reason.Trim()}{scaling}; raise 'startTimeout' if the cluster needs longer to add a node, or change what the pod asks for (resource requests, node selector, tolerations)";
        }

        var pod = view.Pods.Where(p => !PodProblems.IsTerminating(p)).OrderBy(p => p.Metadata?.CreationTimestamp).LastOrDefault();
        if (pod is null)
        {
            return $"{after}: Deployment {_workload.Deployment} in namespace {_workload.Namespace} has no pod yet (see 'kubectl -n {_workload.Namespace} describe deployment {_workload.Deployment}'); raise 'startTimeout' if it is just slow";
        }

        var name = pod.Metadata!.Name;
        var warning = _watch.WarningFor(name);
        var state = pod.Status?.Phase switch
        {
            "Running" => $"runs, but its readiness probe ({_service.Ready} on port {_workload.PodPort}) does not pass yet",
            var phase => $"is {phase ?? "Pending"}{Waiting(pod)}",
        };
        var lines = await _logs.LastLinesAsync(new PodProblem(name, "", "", pod.Spec?.Containers?.FirstOrDefault()?.Name, Logs: LogSource.Current), pod, ProblemLogLines, wait: false).ConfigureAwait(false);
        var logText = lines.Count > 0 ? $"; last log lines: {string.Join(" | ", lines)}" : "";
        var eventText = warning is { Length: > 0 } ? $" (last warning: {warning})" : "";
        return $"{after}: pod {name} {state}{eventText}{logText}; raise 'startTimeout' if it is just slow";

        // A sidecar that has not started (its image, its hook) holds the app's containers in PodInitializing: its own reason says why.
        static string Waiting(k8s.Models.V1Pod pod) =>
            (pod.Status?.InitContainerStatuses ?? []).Concat(pod.Status?.ContainerStatuses ?? []).FirstOrDefault(c => c.State?.Waiting is not null)?.State.Waiting is { } waiting
                ? $" ({waiting.Reason}{(string.IsNullOrEmpty(waiting.Message) ? "" : $": {waiting.Message}")})"
                : "";
    }

    private async Task<string?> WaitForWarningAsync(string pod)
    {
        var deadline = _time.GetTimestamp() + (long)(WarningWait.TotalSeconds * _time.TimestampFrequency);
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            if (_watch.WarningFor(pod) is { } warning)
            {
                return warning;
            }

            var left = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
            if (left <= TimeSpan.Zero)
            {
                return null;
            }

            await Task.WhenAny(changed, Task.Delay(left, _time)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Ends the instance once: <see cref="Exited"/> faults with the sentence at once, then the forward and the watches
    /// are released and the Deployment is scaled to 0 — a stopped service holds no pod, and a crash loop or a bad
    /// image does not go on burning the cluster's resources. The next call scales it up again.
    /// </summary>
    private void EndLocked(Func<Task<string>> describe)
    {
        _ending = true;
        _target = null;
        _link?.SetReady(null);
        _end = Task.Run(async () =>
        {
            string message;
            try
            {
                message = await describe().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                message = $"the pods of Deployment {_workload.Deployment} failed ({e.Message})";
            }

            _exited.TrySetException(new LaunchException(message));
            await ReleaseAsync().ConfigureAwait(false);
            await ScaleDownQuietlyAsync().ConfigureAwait(false);
        });
    }

    /// <summary>Scales the Deployment to 0 and closes the forward (the activator's idle stop, <c>meshdev stop</c>, a failed launch).</summary>
    public async Task StopAsync(TimeSpan gracePeriod, CancellationToken cancellationToken)
    {
        Task end;
        lock (_gate)
        {
            if (!_ending)
            {
                _ending = true;
                _target = null;
                _end = Task.Run(async () =>
                {
                    await ReleaseAsync().ConfigureAwait(false);
                    await ScaleDownQuietlyAsync().ConfigureAwait(false);
                    _exited.TrySetResult(null);
                }, CancellationToken.None); // the stop is shared: a caller that gives up waiting must not cancel it
            }

            end = _end;
        }

        await end.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task ScaleDownQuietlyAsync()
    {
        if (Interlocked.Exchange(ref _scaledDown, 1) != 0)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(ClusterClient.RequestTimeout);
            await WorkloadApplier.ScaleAsync(_client, _workload.Namespace, _workload.Deployment, 0, timeout.Token).ConfigureAwait(false);
            _log.Write($"meshdev: scaled Deployment {_workload.Deployment} in namespace {_workload.Namespace} to 0");
        }
        catch (LaunchException e)
        {
            // 'meshdev down' scales it down later; nothing else can be done now.
            _log.Write($"meshdev: could not scale Deployment {_workload.Deployment} to 0: {e.Message}");
        }
    }

    private async Task ReleaseAsync()
    {
        await _deadline.DisposeAsync().ConfigureAwait(false);
        if (_link is not null)
        {
            await _link.DisposeAsync().ConfigureAwait(false);
        }

        await _forward.DisposeAsync().ConfigureAwait(false);
        await _watch.DisposeAsync().ConfigureAwait(false);
        await _logs.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Stops following the pods and closes the forward, without scaling the Deployment (the mesh hands it over).</summary>
    public async ValueTask DisposeAsync()
    {
        Task end;
        lock (_gate)
        {
            if (!_ending)
            {
                _ending = true;
                _target = null;
                _end = Task.Run(async () =>
                {
                    await ReleaseAsync().ConfigureAwait(false);
                    _exited.TrySetResult(null);
                });
            }

            end = _end;
        }

        await end.ConfigureAwait(false);
    }

    private static string Format(TimeSpan t) => t.TotalSeconds < 120 ? $"{t.TotalSeconds:0.#} s" : $"{t.TotalMinutes:0.#} min";

    /// <summary>The activator's readiness check: a flag the watch sets, so probing costs nothing.</summary>
    private sealed class WatchedReadiness(PodInstance instance) : IReadinessProbe
    {
        public ValueTask<bool> ProbeAsync(ServiceEndpoint endpoint, CancellationToken cancellationToken) => ValueTask.FromResult(instance.IsReady);
    }
}
