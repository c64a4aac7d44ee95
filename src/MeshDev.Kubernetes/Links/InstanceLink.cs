using System.Net.WebSockets;
using k8s.Models;
using MeshDev.Kubernetes.Forwarding;
using MeshDev.Kubernetes.Objects;

namespace MeshDev.Kubernetes.Links;

/// <summary>
/// What one running service in the cluster has to do with the links: the link to its current pod's gateway, opened as
/// soon as the gateway runs (the app may call out while it starts, before it is Ready); and, while the pod is Ready,
/// its address published to every gateway, so other pods call it directly.
/// </summary>
internal sealed class InstanceLink(LinkHub hub, string service, int meshPort, int podPort, int linkPort,
    Func<string, int, CancellationToken, Task<WebSocket>> portForward, Action<string> log, TimeProvider time) : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private PodLink? _link;
    private volatile string? _pod;
    private bool _direct;
    private bool _disposed;

    /// <summary>The link's state, for status.</summary>
    public string? Describe() => _link?.Describe();

    /// <summary>Follows the Deployment's pods: a link to the newest pod whose gateway runs.</summary>
    public void Follow(IReadOnlyList<V1Pod> pods)
    {
        var pod = pods
            .Where(p => p.Metadata?.DeletionTimestamp is null && GatewayRuns(p))
            .OrderBy(p => p.Metadata?.CreationTimestamp)
            .LastOrDefault()?.Metadata?.Name;
        if (pod is null || pod == _pod)
        {
            return;
        }

        PodLink? previous;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _pod = pod;
            previous = _link;
            _link = new PodLink(hub, service, pod, ct => ConnectAsync(pod, ct), log, time);
            _link.Start();
        }

        if (previous is not null)
        {
            _ = previous.DisposeAsync().AsTask();
        }
    }

    /// <summary>The pod is Ready at <paramref name="podIp"/> (null: not Ready any more): other gateways call it directly, or no longer.</summary>
    public void SetReady(string? podIp)
    {
        lock (_gate)
        {
            if (podIp is not null && !_disposed)
            {
                hub.SetDirect(service, meshPort, podIp, podPort);
                _direct = true;
            }
            else if (_direct)
            {
                hub.ClearDirect(service);
                _direct = false;
            }
        }
    }

    private static bool GatewayRuns(V1Pod pod) =>
        (pod.Status?.InitContainerStatuses ?? []).Concat(pod.Status?.ContainerStatuses ?? [])
            .Any(c => c.Name == GatewaySidecar.ContainerName && c.State?.Running is not null);

    /// <summary>The link's transport: one port-forward WebSocket to the gateway's link port, read and written as a stream.</summary>
    private async Task<Stream> ConnectAsync(string pod, CancellationToken cancellationToken) =>
        new PortForwardStream(await portForward(pod, linkPort, cancellationToken).ConfigureAwait(false));

    public async ValueTask DisposeAsync()
    {
        PodLink? link;
        lock (_gate)
        {
            _disposed = true;
            if (_direct)
            {
                hub.ClearDirect(service);
                _direct = false;
            }

            link = _link;
            _link = null;
        }

        if (link is not null)
        {
            await link.DisposeAsync().ConfigureAwait(false);
        }
    }
}
