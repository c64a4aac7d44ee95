using k8s;
using MeshDev.Activation;
using MeshDev.Kubernetes.Objects;
using MeshDev.Kubernetes.Tests.ApiServer;

namespace MeshDev.Kubernetes.Tests.Runtime;

/// <summary>
/// The lazy Deployment against the API-server stand-in (no real Kubernetes API server can run on these machines;
/// devtools/k8s-smoke.sh runs the same scenario on a real cluster): a cold call scales up, watches, forwards and gets the
/// app's answer; concurrent cold calls scale up once; idle scales back to 0; a restarted daemon adopts the Ready pod.
/// </summary>
public sealed class LazyDeploymentStandInTests : IAsyncLifetime
{
    private StandInCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await StandInCluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task StandIn_cold_call_creates_the_namespace_scales_up_watches_until_Ready_and_forwards_to_the_pod()
    {
        var activator = _cluster.Activator(StandInCluster.Service(), _cluster.Runtime());

        using (var lease = await StandInCluster.AcquireAsync(activator))
        {
            Assert.Equal("hello from orders", await StandInCluster.CallAsync(lease));
            Assert.Equal("127.0.0.1", lease.Endpoint.Host);
        }

        Assert.Equal(ServiceState.Ready, activator.State);
        var ns = await _cluster.Client.CoreV1.ReadNamespaceAsync(StandInCluster.Namespace);
        Assert.Equal(StandInCluster.Owner, ns.Metadata.Labels[MeshLabels.Owner]);
        var deployment = (await _cluster.DeploymentAsync())!;
        Assert.Equal(1, deployment.Spec.Replicas);
        Assert.Equal(StandInCluster.Owner, deployment.Metadata.Labels[MeshLabels.Owner]);
        Assert.Equal(StandInCluster.MeshId, deployment.Metadata.Labels[MeshLabels.Mesh]);
        Assert.Equal("orders", deployment.Metadata.Labels[MeshLabels.Service]);
        Assert.Contains(deployment.Metadata.ManagedFields, f => f.Manager == MeshLabels.FieldManager && f.Operation == "Apply");
        var service = await _cluster.Client.CoreV1.ReadNamespacedServiceAsync("orders", StandInCluster.Namespace);
        Assert.Equal(StandInCluster.MeshId, service.Metadata.Labels[MeshLabels.Mesh]);

        // Readiness came from a watch, not from polling the pod list.
        var requests = _cluster.ApiServer.Requests;
        Assert.Contains(requests, r => r.Method == "GET" && r.Path.EndsWith("/pods", StringComparison.Ordinal) && r.PathAndQuery.Contains("watch=true", StringComparison.Ordinal));
        Assert.True(requests.Count(r => r.Method == "GET" && r.Path.EndsWith("/pods", StringComparison.Ordinal) && !r.PathAndQuery.Contains("watch=", StringComparison.Ordinal)) <= 2);
        Assert.Contains(requests, r => r.Path.EndsWith("/portforward", StringComparison.Ordinal));
        Assert.Contains(activator.Log.Tail(), l => l == "listening on :8080");
    }

    [Fact]
    public async Task StandIn_concurrent_cold_calls_scale_up_once_and_all_get_the_answer()
    {
        var activator = _cluster.Activator(StandInCluster.Service(), _cluster.Runtime());

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(async _ =>
        {
            using var lease = await activator.AcquireAsync();
            return await StandInCluster.CallAsync(lease);
        })).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.All(answers, a => Assert.Equal("hello from orders", a));
        Assert.Equal(1, activator.Launches);
        var deploymentWrites = _cluster.ApiServer.Requests.Where(r => r.Method == "PATCH" && r.Path.Contains("/deployments/orders", StringComparison.Ordinal)).ToList();
        Assert.Single(deploymentWrites);
        Assert.Single((await _cluster.Client.CoreV1.ListNamespacedPodAsync(StandInCluster.Namespace)).Items);
    }

    [Fact]
    public async Task StandIn_idle_scales_the_Deployment_to_zero_closes_the_forward_and_the_next_call_scales_up_again()
    {
        var activator = _cluster.Activator(StandInCluster.Service(idleTimeout: TimeSpan.FromMilliseconds(300)), _cluster.Runtime());
        int forwardPort;
        using (var lease = await StandInCluster.AcquireAsync(activator))
        {
            Assert.Equal("hello from orders", await StandInCluster.CallAsync(lease));
            forwardPort = lease.Endpoint.Port;
        }

        Assert.True(await StandInCluster.EventuallyAsync(async () => activator.State == ServiceState.Stopped && (await _cluster.DeploymentAsync())!.Spec.Replicas == 0));
        Assert.True(await StandInCluster.EventuallyAsync(async () => (await _cluster.Client.CoreV1.ListNamespacedPodAsync(StandInCluster.Namespace)).Items.Count == 0));
        Assert.False(await MeshDev.Runtime.Ports.IsListeningAsync(forwardPort, CancellationToken.None));

        using var again = await StandInCluster.AcquireAsync(activator);
        Assert.Equal("hello from orders", await StandInCluster.CallAsync(again));
        Assert.Equal(2, activator.Launches);
        // The Deployment was kept with its settings: the second launch only scaled it, it did not apply it again.
        Assert.Single(_cluster.ApiServer.Requests, r => r.Method == "PATCH" && r.Path.EndsWith("/deployments/orders", StringComparison.Ordinal));
        Assert.Contains(_cluster.ApiServer.Requests, r => r.Method == "PATCH" && r.Path.EndsWith("/deployments/orders/scale", StringComparison.Ordinal) && r.Body!.Contains("\"replicas\":1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StandIn_a_restarted_daemon_adopts_the_Ready_pod_of_its_Deployment_instead_of_launching_again()
    {
        var service = StandInCluster.Service();
        var first = await _cluster.Runtime().StartAsync(StandInCluster.Request(service), CancellationToken.None);
        Assert.True(await StandInCluster.EventuallyAsync(async () => await first.Readiness!.ProbeAsync(first.Endpoint, CancellationToken.None)));
        // The daemon goes away without stopping anything (killed): the Deployment stays at 1 replica.
        await first.DisposeAsync();

        var adopted = await _cluster.Runtime().AdoptAsync(StandInCluster.Request(service), CancellationToken.None);

        Assert.NotNull(adopted);
        Assert.True(await StandInCluster.EventuallyAsync(async () => await adopted.Readiness!.ProbeAsync(adopted.Endpoint, CancellationToken.None)));
        using var http = new HttpClient();
        Assert.Equal("hello from orders", await http.GetStringAsync(adopted.Endpoint.HttpUri));
        Assert.Single(_cluster.ApiServer.Requests, r => r.Method == "PATCH" && r.Path.EndsWith("/deployments/orders", StringComparison.Ordinal));
        await adopted.StopAsync(TimeSpan.Zero, CancellationToken.None);
        Assert.Equal(0, (await _cluster.DeploymentAsync())!.Spec.Replicas);
    }

    [Fact]
    public async Task StandIn_a_Deployment_left_with_other_settings_is_not_adopted_but_scaled_to_zero()
    {
        var first = await _cluster.Runtime().StartAsync(StandInCluster.Request(StandInCluster.Service()), CancellationToken.None);
        Assert.True(await StandInCluster.EventuallyAsync(async () => await first.Readiness!.ProbeAsync(first.Endpoint, CancellationToken.None)));
        await first.DisposeAsync();

        var changed = StandInCluster.Service(kubernetes: k => k with { RunAsNonRoot = false });
        var adopted = await _cluster.Runtime().AdoptAsync(StandInCluster.Request(changed), CancellationToken.None);

        Assert.Null(adopted);
        Assert.Equal(0, (await _cluster.DeploymentAsync())!.Spec.Replicas);
    }

    [Fact]
    public async Task StandIn_the_teams_own_manifests_are_applied_into_the_dev_namespace_and_their_Deployment_is_scaled()
    {
        var service = _cluster.ManifestService($$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: orders, namespace: production, labels: { app: orders } }
            spec:
              replicas: 3
              selector: { matchLabels: { app: orders } }
              template:
                metadata: { labels: { app: orders } }
                spec:
                  containers:
                    - name: orders
                      image: {{StandInCluster.AppImage}}
                      ports: [{ containerPort: 8080 }]
            ---
            apiVersion: v1
            kind: Service
            metadata: { name: orders }
            spec:
              selector: { app: orders }
              ports: [{ port: 80, targetPort: 8080 }]
            """);
        var activator = _cluster.Activator(service, _cluster.Runtime());

        using (var lease = await StandInCluster.AcquireAsync(activator))
        {
            Assert.Equal("hello from orders", await StandInCluster.CallAsync(lease));
        }

        var deployment = (await _cluster.DeploymentAsync())!;
        Assert.Equal(1, deployment.Spec.Replicas);
        Assert.Equal("orders", deployment.Metadata.Labels["app"]);
        Assert.Equal(StandInCluster.Owner, deployment.Metadata.Labels[MeshLabels.Owner]);
        var service2 = await _cluster.Client.CoreV1.ReadNamespacedServiceAsync("orders", StandInCluster.Namespace);
        Assert.Equal(StandInCluster.MeshId, service2.Metadata.Labels[MeshLabels.Mesh]);
        Assert.Contains(activator.Log.Tail(), l => l.Contains("goes into the dev namespace meshdev-alice, not 'production'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StandIn_a_Service_exported_with_kubectl_gets_its_own_cluster_IP_and_keeps_it_when_the_file_changes()
    {
        // As 'kubectl get -o yaml' writes it: the IP the team's cluster allocated, which a real server refuses to set
        // again ("may not change once set", "provided IP is already allocated").
        static string Files(string clusterIp) => $$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: orders, labels: { app: orders } }
            spec:
              selector: { matchLabels: { app: orders } }
              template:
                metadata: { labels: { app: orders } }
                spec:
                  containers: [{ name: orders, image: {{StandInCluster.AppImage}}, ports: [{ containerPort: 8080 }] }]
            ---
            apiVersion: v1
            kind: Service
            metadata: { name: orders, resourceVersion: "8812" }
            spec:
              type: NodePort
              clusterIP: {{clusterIp}}
              clusterIPs: [{{clusterIp}}]
              selector: { app: orders }
              ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }]
            """;
        var first = _cluster.Activator(_cluster.ManifestService(Files("10.96.44.7")), _cluster.Runtime());
        using (var lease = await StandInCluster.AcquireAsync(first))
        {
            Assert.Equal("hello from orders", await StandInCluster.CallAsync(lease));
        }

        var allocated = (await _cluster.Client.CoreV1.ReadNamespacedServiceAsync("orders", StandInCluster.Namespace)).Spec;
        Assert.StartsWith("127.96.", allocated.ClusterIP);
        Assert.Null(allocated.Ports[0].NodePort);
        await first.StopAsync();

        // Exported again from a cluster where it got another IP: another configuration, applied over the Service above.
        var second = _cluster.Activator(_cluster.ManifestService(Files("10.96.50.1")), _cluster.Runtime());
        using (var lease = await StandInCluster.AcquireAsync(second))
        {
            Assert.Equal("hello from orders", await StandInCluster.CallAsync(lease));
        }

        Assert.Equal(allocated.ClusterIP, (await _cluster.Client.CoreV1.ReadNamespacedServiceAsync("orders", StandInCluster.Namespace)).Spec.ClusterIP);
    }
}
