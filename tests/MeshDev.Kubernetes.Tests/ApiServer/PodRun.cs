using System.Collections.Concurrent;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>The kubelet's state for one pod it runs: its lifecycle task, the containers' logs.</summary>
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

    /// <summary>True the first time only: the pod's deletion is handled once however many updates show it.</summary>
    public bool BeginTermination() => Interlocked.Exchange(ref _terminating, 1) == 0;

    public void Stop()
    {
        try
        {
            _cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose() => _cancellation.Dispose();
}
