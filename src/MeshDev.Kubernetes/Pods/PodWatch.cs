using System.Net;
using k8s;
using k8s.Models;
using MeshDev.Kubernetes.Cluster;

namespace MeshDev.Kubernetes.Pods;

/// <summary>
/// What the watches show right now: the pod to forward to, what keeps the pods from serving, a pod waiting for a node,
/// and the watch's own failure.
/// </summary>
internal sealed record PodView(string? ReadyPod, PodProblem? Problem, string? ProblemWarning, string? WatchFailure, IReadOnlyList<V1Pod> Pods, UnschedulablePod? Unschedulable = null);

/// <summary>
/// Watches (list, then watch from its resourceVersion; never polls) the pods of one Deployment's current
/// configuration and the warning events of the namespace (plus the autoscaler's scale-up events), feeding a <see cref="PodTracker"/>. A dropped watch is
/// re-listed and re-established; a server that cannot be reached or refuses (RBAC) ends it with a sentence.
/// </summary>
internal sealed class PodWatch : IAsyncDisposable
{
    private static readonly TimeSpan RewatchPause = TimeSpan.FromMilliseconds(200);

    private readonly ClusterClient _client;
    private readonly string _namespace;
    private readonly string _deployment;
    private readonly string _podSelector;
    private readonly Action _changed;
    private readonly Action<string> _log;
    private readonly PodTracker _tracker;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _pods = Task.CompletedTask;
    private Task _events = Task.CompletedTask;
    private Task _scaleUps = Task.CompletedTask;
    private string? _failure;

    /// <param name="changed">Called (on a background task, outside any lock) after every change; read <see cref="View"/> then.</param>
    public PodWatch(ClusterClient client, string @namespace, string deployment, string podSelector, Action changed, Action<string> log)
    {
        _client = client;
        _namespace = @namespace;
        _deployment = deployment;
        _podSelector = podSelector;
        _changed = changed;
        _log = log;
        _tracker = new PodTracker(deployment);
    }

    public void Start()
    {
        _pods = Task.Run(WatchPodsAsync);
        _events = Task.Run(() => WatchEventsAsync("type=Warning", reportRefusal: true));
        // TriggeredScaleUp is a Normal event; a selector cannot ask for it and the warnings at once.
        _scaleUps = Task.Run(() => WatchEventsAsync($"reason={UnschedulablePod.ScaleUpReason}", reportRefusal: false));
    }

    public PodView View()
    {
        lock (_gate)
        {
            var problem = _tracker.Problem;
            var warning = problem?.Pod is { } pod ? _tracker.WarningFor(pod) : null;
            return new PodView(_tracker.ReadyPod, problem, warning, _failure, [.. _tracker.Pods.Values], _tracker.Unschedulable);
        }
    }

    /// <summary>The latest warning event about <paramref name="pod"/>, if any.</summary>
    public string? WarningFor(string pod)
    {
        lock (_gate)
        {
            return _tracker.WarningFor(pod);
        }
    }

    private async Task WatchPodsAsync()
    {
        var cancellationToken = _stop.Token;
        while (!cancellationToken.IsCancellationRequested)
        {
            string? resourceVersion;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(ClusterClient.RequestTimeout);
                var list = await _client.CoreV1.ListNamespacedPodAsync(_namespace, labelSelector: _podSelector, cancellationToken: timeout.Token).ConfigureAwait(false);
                lock (_gate)
                {
                    _tracker.Reset(list.Items);
                }

                resourceVersion = list.Metadata?.ResourceVersion;
                _changed();
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                Fail(ApiErrors.Describe(e, $"listing the pods of Deployment '{_deployment}' in namespace {_namespace}", _client));
                return;
            }

            try
            {
                var events = _client.CoreV1.WatchListNamespacedPodAsync(
                    _namespace, allowWatchBookmarks: true, labelSelector: _podSelector, resourceVersion: resourceVersion, onError: OnWatchError, cancellationToken: cancellationToken);
                await foreach (var (type, pod) in events.ConfigureAwait(false))
                {
                    if (type == WatchEventType.Bookmark || pod is null)
                    {
                        continue;
                    }

                    lock (_gate)
                    {
                        _tracker.Apply(type, pod);
                    }

                    _changed();
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && ApiErrors.StatusOf(e) is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
            {
                Fail(ApiErrors.Describe(e, $"watching the pods of Deployment '{_deployment}' in namespace {_namespace}", _client));
                return;
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The stream broke (or the server ended the watch, or the resourceVersion is too old): list again,
                // which says so in one sentence if the server is gone.
            }

            await PauseAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <param name="reportRefusal">Say in the log when the events cannot be read (once, for the watch that matters most).</param>
    private async Task WatchEventsAsync(string fieldSelector, bool reportRefusal)
    {
        var cancellationToken = _stop.Token;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(ClusterClient.RequestTimeout);
                var list = await _client.CoreV1.ListNamespacedEventAsync(_namespace, fieldSelector: fieldSelector, cancellationToken: timeout.Token).ConfigureAwait(false);
                lock (_gate)
                {
                    foreach (var @event in list.Items)
                    {
                        _tracker.Apply(@event, fresh: false);
                    }
                }

                _changed();
                var watch = _client.CoreV1.WatchListNamespacedEventAsync(
                    _namespace, allowWatchBookmarks: true, fieldSelector: fieldSelector, resourceVersion: list.Metadata?.ResourceVersion, onError: OnWatchError, cancellationToken: cancellationToken);
                await foreach (var (type, @event) in watch.ConfigureAwait(false))
                {
                    if (type is WatchEventType.Added or WatchEventType.Modified && @event is not null)
                    {
                        lock (_gate)
                        {
                            _tracker.Apply(@event, fresh: true);
                        }

                        _changed();
                    }
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && ApiErrors.IsForbidden(e))
            {
                // Events only add detail to what the pod status says; without them the reasons still arrive.
                if (reportRefusal)
                {
                    _log($"meshdev: the events of namespace {_namespace} cannot be read ({ApiErrors.ServerMessage(e)}); failures are reported without their event messages");
                }

                return;
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // Re-listed below; the pod watch reports a server that is gone.
            }

            await PauseAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static void OnWatchError(Exception e)
    {
        // An ERROR event (410 Gone: the resourceVersion is too old) ends this watch; the loop lists again.
    }

    private static async Task PauseAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(RewatchPause, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Fail(string message)
    {
        lock (_gate)
        {
            _failure ??= message;
        }

        _changed();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_pods, _events, _scaleUps).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
    }
}
