using System.Collections.Concurrent;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>The kubelet's state for one pod it runs: its lifecycle task, the containers' logs, its sandbox if it has one.</summary>
internal sealed class PodRun(string @namespace, string name, string uid, CancellationToken stopping) : IDisposable
{
    private readonly CancellationTokenSource _cancellation = CancellationTokenSource.CreateLinkedTokenSource(stopping);
    private int _terminating;

    public string Namespace { get; } = @namespace;

    public string Name { get; } = name;

    public string Uid { get; } = uid;

    /// <summary>Cancelled when the pod is being deleted (its containers stop) or the stand-in stops.</summary>
    public CancellationToken Stopping => _cancellation.Token;

    public ConcurrentDictionary<string, ContainerLog> Logs { get; } = new(StringComparer.Ordinal);

    public Task Lifecycle { get; set; } = Task.CompletedTask;

    /// <summary>The pod's namespace and processes, for pods of <see cref="ImageBehaviour.Executes"/> images.</summary>
    public PodSandbox? Sandbox { get; private set; }

    /// <summary>Gives the pod its sandbox; false (the caller removes it) when the pod stopped meanwhile.</summary>
    public bool Attach(PodSandbox sandbox)
    {
        lock (_cancellation)
        {
            if (_cancellation.IsCancellationRequested)
            {
                return false;
            }

            Sandbox = sandbox;
            return true;
        }
    }

    /// <summary>Stops the pod's processes within <paramref name="grace"/> (see <see cref="PodSandbox.StopAsync"/>); at once when it has none.</summary>
    public Task StopSandboxAsync(TimeSpan grace, CancellationToken hurry)
    {
        Stop();
        lock (_cancellation)
        {
            return Sandbox?.StopAsync(grace, hurry) ?? Task.CompletedTask;
        }
    }

    /// <summary>True the first time only: the pod's deletion is handled once however many updates show it.</summary>
    public bool BeginTermination() => Interlocked.Exchange(ref _terminating, 1) == 0;

    public void Stop()
    {
        lock (_cancellation)
        {
            try
            {
                _cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    public void Dispose() => _cancellation.Dispose();
}
