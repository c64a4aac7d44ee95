using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using MeshDev.Catalog;
using MeshDev.Kubernetes.Cluster;
using MeshDev.Kubernetes.Links;
using MeshDev.Kubernetes.Objects;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes;

/// <summary>
/// Runs <c>runtime: kubernetes</c> services as Deployments in the developer's own namespace (KubernetesClient): a
/// Deployment stays at 0 replicas until the first call, is then scaled to 1 (applied with server-side apply when it is
/// missing or its settings changed), its pod is watched until Ready and reached through a port-forward on a local
/// port; idle, it goes back to 0. Only objects with this developer's owner label and this mesh's label are touched.
/// </summary>
public sealed class KubernetesRuntime : IServiceRuntime, IAsyncDisposable
{
    private readonly KubernetesRuntimeOptions _options;
    private readonly Ownership _ownership;
    private readonly ConcurrentDictionary<string, KubeCluster> _clusters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Context, string Namespace), Lazy<Task>> _namespaces = new();
    private readonly ConcurrentDictionary<(string Context, string Namespace), ClusterClient> _used = new();
    private readonly ConcurrentDictionary<(string Context, string Namespace, string Deployment), PodInstance> _latest = new();
    private readonly LinkHub? _hub;

    public KubernetesRuntime(KubernetesRuntimeOptions options)
    {
        _options = options;
        _ownership = new Ownership(options.Owner, options.MeshId);
        _hub = options.Gateway is { } gateway ? new LinkHub(gateway.Ports, options.Calls) : null;
    }

    public RuntimeKind Kind => RuntimeKind.Kubernetes;

    /// <summary>The ready pods every gateway may call directly, by mesh port (none without the gateway).</summary>
    internal IReadOnlyDictionary<int, MeshDev.Link.LinkDirectRoute> DirectRoutes => _hub?.Routes.Direct ?? new Dictionary<int, MeshDev.Link.LinkDirectRoute>();

    /// <summary>The namespace a service runs in: its <c>namespace</c>, else <c>meshdev-{owner}</c>.</summary>
    public string NamespaceOf(ServiceSpec service) => service.Kubernetes?.Namespace ?? MeshLabels.DefaultNamespace(_options.Owner);

    /// <summary>Connects to the cluster and makes sure the dev namespace is there and the developer's; a failure reaches every waiting caller.</summary>
    public async Task PrepareAsync(ServiceSpec service, ServiceLog log, CancellationToken cancellationToken)
    {
        var client = await ConnectAsync(service, cancellationToken).ConfigureAwait(false);
        await EnsureNamespaceAsync(service, client, log, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IServiceInstance> StartAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        var service = request.Service;
        var client = await ConnectAsync(service, cancellationToken).ConfigureAwait(false);
        var @namespace = NamespaceOf(service);
        await EnsureNamespaceAsync(service, client, request.Log, cancellationToken).ConfigureAwait(false);
        var gateway = await GatewayForAsync(request, built: true, cancellationToken).ConfigureAwait(false);
        var workload = WorkloadOf(request, @namespace, gateway);
        var key = (ContextKey(service), @namespace, workload.Deployment);
        if (_latest.TryGetValue(key, out var previous))
        {
            // An instance that just ended (a lost pod, a crash) scales its Deployment down in the background.
            await previous.Settled.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var what = $"Deployment {workload.Deployment} in namespace {@namespace}";
        var existing = await ReadDeploymentAsync(client, workload, cancellationToken).ConfigureAwait(false);
        if (existing is not null && _ownership.Refusal($"Deployment '{workload.Deployment}' in namespace {@namespace}", existing.Metadata.Labels, existing.Metadata.Annotations) is { } refusal)
        {
            throw new LaunchException(refusal);
        }

        _used[(ContextKey(service), @namespace)] = client;
        if (existing?.Metadata.Labels?.TryGetValue(MeshLabels.Config, out var hash) == true && hash == workload.ConfigHash)
        {
            if (existing.Spec?.Replicas != 1)
            {
                request.Log.Write($"meshdev: scaling {what} to 1 ({client.Description})");
                await WorkloadApplier.ScaleAsync(client, @namespace, workload.Deployment, 1, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                request.Log.Write($"meshdev: {what} already has 1 replica; waiting for its pod");
            }
        }
        else
        {
            request.Log.Write($"meshdev: {(existing is null ? "creating" : "updating")} {what} ({workload.Origin}; {client.Description}), 1 replica");
            await WorkloadApplier.ApplyAsync(client, workload, _ownership, cancellationToken).ConfigureAwait(false);
        }

        return _latest[key] = PodInstance.Start(client, workload, request, _options.Time, adopted: false, LinkFor(request, workload, client));
    }

    /// <summary>
    /// A Deployment of this mesh that an earlier run left at 1 replica with a Ready pod and the current settings: reused,
    /// with a new forward. One of ours that cannot be reused (other settings, no Ready pod) is scaled to 0, so a mesh
    /// that starts without traffic holds no pod.
    /// </summary>
    public async Task<IServiceInstance?> AdoptAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        var service = request.Service;
        ClusterClient client;
        Workload workload;
        V1Deployment? existing;
        try
        {
            client = await ConnectAsync(service, cancellationToken).ConfigureAwait(false);
            workload = WorkloadOf(request, NamespaceOf(service), await GatewayForAsync(request, built: false, cancellationToken).ConfigureAwait(false));
            existing = await ReadDeploymentAsync(client, workload, cancellationToken).ConfigureAwait(false);
        }
        catch (LaunchException)
        {
            // No cluster, no kubeconfig, or a manifest that cannot be read: nothing to adopt; the first call says why.
            return null;
        }

        if (existing is null || _ownership.Of(existing.Metadata.Labels) != OwnershipKind.Ours || (existing.Spec?.Replicas ?? 0) < 1)
        {
            return null;
        }

        _used[(ContextKey(service), workload.Namespace)] = client;
        var current = existing.Metadata.Labels.TryGetValue(MeshLabels.Config, out var hash) && hash == workload.ConfigHash;
        if (!current || (existing.Status?.ReadyReplicas ?? 0) < 1)
        {
            request.Log.Write($"meshdev: scaling Deployment {workload.Deployment} in namespace {workload.Namespace} to 0, left running by an earlier run of this mesh ({(current ? "without a Ready pod" : "with other settings")})");
            try
            {
                await WorkloadApplier.ScaleAsync(client, workload.Namespace, workload.Deployment, 0, cancellationToken).ConfigureAwait(false);
            }
            catch (LaunchException e)
            {
                request.Log.Write($"meshdev: {e.Message}");
            }

            return null;
        }

        request.Log.Write($"meshdev: adopting Deployment {workload.Deployment} in namespace {workload.Namespace}, left running by an earlier run of this mesh");
        return _latest[(ContextKey(service), workload.Namespace, workload.Deployment)] = PodInstance.Start(client, workload, request, _options.Time, adopted: true, LinkFor(request, workload, client));
    }

    /// <summary>The links of an instance whose pods carry the gateway; null for a leaf (the team's own manifests, or no gateway configured).</summary>
    private InstanceLink? LinkFor(LaunchRequest request, Workload workload, ClusterClient client) =>
        _hub is not null && _options.Gateway is { } gateway && workload.HasGateway
            ? new InstanceLink(_hub, request.Service.Name, request.Service.MeshPort, workload.PodPort, gateway.LinkPort,
                (pod, port, ct) => client.WebSocketNamespacedPodPortForwardAsync(pod, workload.Namespace, [port], Forwarding.PortForwardTunnel.Protocol, cancellationToken: ct),
                request.Log.Write, _options.Time)
            : null;

    /// <summary>
    /// The sidecar of the service's pods, with the image the mesh makes when it makes its own. A launch waits
    /// until that image is built, so a cluster sharing this machine's engine (Docker Desktop) finds it; adoption only
    /// needs its name, and must not hold up the mesh's start.
    /// </summary>
    private async Task<GatewaySidecar?> GatewayForAsync(LaunchRequest request, bool built, CancellationToken cancellationToken)
    {
        if (_options.Gateway is not { } gateway || _options.LocalGatewayImage is not { } local)
        {
            return _options.Gateway;
        }

        var image = await local.Reference.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (built && await local.Built.WaitAsync(cancellationToken).ConfigureAwait(false) is { } warning)
        {
            request.Log.Write($"meshdev: {warning}");
        }

        return gateway with { Image = image };
    }

    private Workload WorkloadOf(LaunchRequest request, string @namespace, GatewaySidecar? gateway) =>
        request.Service.Kubernetes is { Image: not null }
            ? GeneratedWorkload.For(request, @namespace, _options.Owner, _options.MeshId, _options.ManifestPath, gateway)
            : ManifestWorkload.For(request.Service, @namespace, _options.Owner, _options.MeshId, _options.ManifestPath, request.Log.Write,
                gateway is null ? null : (gateway, request.Environment));

    private static Task<V1Deployment?> ReadDeploymentAsync(ClusterClient client, Workload workload, CancellationToken cancellationToken) =>
        WorkloadApplier.Call(client, $"reading Deployment '{workload.Deployment}' in namespace {workload.Namespace}", async () =>
        {
            try
            {
                return await client.AppsV1.ReadNamespacedDeploymentAsync(workload.Deployment, workload.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (ApiErrors.IsNotFound(e))
            {
                return null;
            }
        }, cancellationToken);

    private Task<ClusterClient> ConnectAsync(ServiceSpec service, CancellationToken cancellationToken) =>
        _clusters.GetOrAdd(ContextKey(service), _ => new KubeCluster(_options.KubeConfig, service.Kubernetes?.Context)).ConnectAsync(cancellationToken);

    private async Task EnsureNamespaceAsync(ServiceSpec service, ClusterClient client, ServiceLog log, CancellationToken cancellationToken)
    {
        var key = (ContextKey(service), NamespaceOf(service));
        var ensured = _namespaces.GetOrAdd(key, k => new Lazy<Task>(() =>
            DevNamespace.EnsureAsync(client, k.Namespace, _options.Owner, _options.AdoptNamespaces, log.Write, CancellationToken.None)));
        try
        {
            await ensured.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Not remembered: the next launch checks again (the namespace may have been fixed meanwhile).
            _namespaces.TryRemove(new KeyValuePair<(string, string), Lazy<Task>>(key, ensured));
            throw;
        }
    }

    private static string ContextKey(ServiceSpec service) => service.Kubernetes?.Context ?? "";

    /// <summary>Scales every Deployment of this mesh in the namespaces it used to 0 (the mesh is going down; <c>down --purge</c> deletes them).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var ((_, @namespace), client) in _used)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await MeshObjects.ScaleDownAsync(client, @namespace, _ownership, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is LaunchException or OperationCanceledException)
            {
                // The cluster went away; 'meshdev down' tries again.
            }
        }

        foreach (var cluster in _clusters.Values)
        {
            cluster.Dispose();
        }
    }
}
