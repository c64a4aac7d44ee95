using k8s;
using k8s.Models;
using MeshDev.Kubernetes.Cluster;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Pods;

/// <summary>
/// The output of a service's pods in its log (the <c>name |</c> lines, <c>meshdev logs</c>, and the tail every failed
/// caller gets): each container is followed from the moment it runs, once per restart; a container that crashed before
/// it could be followed is read afterwards (its previous run's last lines).
/// </summary>
internal sealed class PodLogs : IAsyncDisposable
{
    private const int TailLines = 20;

    private readonly ClusterClient _client;
    private readonly string _namespace;
    private readonly ServiceLog _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<ContainerRun, Reader> _readers = [];
    private bool _skipExisting;

    /// <param name="skipExistingOutput">For an adopted Deployment: what its pods printed before is already in the log.</param>
    public PodLogs(ClusterClient client, string @namespace, ServiceLog log, bool skipExistingOutput)
    {
        _client = client;
        _namespace = @namespace;
        _log = log;
        _skipExisting = skipExistingOutput;
    }

    /// <summary>Starts following every container of <paramref name="pods"/> that runs (or ran) and is not followed yet.</summary>
    public void Follow(IReadOnlyList<V1Pod> pods)
    {
        lock (_gate)
        {
            var skip = _skipExisting;
            _skipExisting = false;
            foreach (var pod in pods)
            {
                var statuses = (pod.Status?.InitContainerStatuses ?? []).Concat(pod.Status?.ContainerStatuses ?? []).ToList();
                var prefixed = statuses.Count > 1;
                foreach (var container in statuses)
                {
                    if (container.State?.Running is null && container.State?.Terminated is null)
                    {
                        continue;
                    }

                    var run = new ContainerRun(pod.Metadata.Name, container.Name, container.RestartCount);
                    if (!_readers.ContainsKey(run))
                    {
                        var reader = new Reader(prefixed ? $"[{container.Name}] " : "");
                        _readers[run] = reader;
                        reader.Task = ReadAsync(run, reader, previous: false, tail: skip ? 0 : null);
                    }
                }
            }
        }
    }

    /// <summary>
    /// The last lines of the container a problem is about, once its output is in (waiting at most a moment for a
    /// container that just ended); fetched afterwards when it was never followed.
    /// </summary>
    /// <param name="wait">False: take what is in now (the container still runs, so its follow will not end).</param>
    public async Task<IReadOnlyList<string>> LastLinesAsync(PodProblem problem, V1Pod? pod, int count, bool wait = true)
    {
        if (problem.Pod is null || problem.Container is null || problem.Logs == LogSource.None)
        {
            return [];
        }

        var restarts = pod?.Status?.ContainerStatuses?.Concat(pod.Status.InitContainerStatuses ?? [])
            .FirstOrDefault(c => c.Name == problem.Container)?.RestartCount ?? 0;
        var run = new ContainerRun(problem.Pod, problem.Container, problem.Logs == LogSource.Previous ? restarts - 1 : restarts);
        Reader reader;
        lock (_gate)
        {
            if (!_readers.TryGetValue(run, out reader!))
            {
                reader = new Reader("");
                _readers[run] = reader;
                reader.Task = ReadAsync(run, reader, previous: problem.Logs == LogSource.Previous, tail: TailLines);
            }
        }

        // A follow of an ended container ends with its last line; one of a running container does not, and what is in is enough.
        if (wait)
        {
            await Task.WhenAny(reader.Task, Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        }

        return reader.Tail(count);
    }

    private async Task ReadAsync(ContainerRun run, Reader reader, bool previous, int? tail)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            if (previous)
            {
                timeout.CancelAfter(ClusterClient.RequestTimeout);
            }

            using var response = await _client.CoreV1.ReadNamespacedPodLogWithHttpMessagesAsync(
                run.Pod, _namespace, container: run.Container, follow: !previous, previous: previous, tailLines: tail, cancellationToken: timeout.Token).ConfigureAwait(false);
            using var lines = new StreamReader(response.Body);
            while (await lines.ReadLineAsync(timeout.Token).ConfigureAwait(false) is { } line)
            {
                reader.Add(line);
                _log.Write(reader.Prefix + line);
            }
        }
        catch (Exception)
        {
            // The container is not running yet, was removed, or the connection dropped: what was read is kept; a
            // restart is followed anew.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        Task[] readers;
        lock (_gate)
        {
            readers = [.. _readers.Values.Select(r => r.Task)];
        }

        await Task.WhenAll(readers).ConfigureAwait(false);
    }

    private readonly record struct ContainerRun(string Pod, string Container, int Restart);

    private sealed class Reader(string prefix)
    {
        private readonly Queue<string> _tail = new();

        public string Prefix => prefix;

        public Task Task { get; set; } = Task.CompletedTask;

        public void Add(string line)
        {
            lock (_tail)
            {
                _tail.Enqueue(line);
                if (_tail.Count > TailLines)
                {
                    _tail.Dequeue();
                }
            }
        }

        public IReadOnlyList<string> Tail(int count)
        {
            lock (_tail)
            {
                return [.. _tail.Where(l => !string.IsNullOrWhiteSpace(l)).TakeLast(count)];
            }
        }
    }
}
