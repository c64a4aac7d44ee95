using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// The scale subresource and watch streams, read by the real KubernetesClient from <see cref="KubernetesApiStandIn"/>,
/// the in-process stand-in for an API server (no real one can run here) whose simulated controller and kubelet make
/// pods come, become ready and go.
/// </summary>
public sealed partial class KubernetesClientScaleAndWatchAgainstStandInTests
{
    private const string Ns = "meshdev-alice";
    private const string Image = "shop/orders:dev";

    [Fact]
    public async Task Scaling_up_through_the_scale_subresource_makes_a_pod_that_the_real_clients_watch_sees_added_running_and_ready()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        await using var target = await TargetServer.StartAsync("orders");
        standIn.SetImageBehaviour(Image, ImageBehaviour.Runs(target.Endpoint));
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        await client.AppsV1.CreateNamespacedDeploymentAsync(StandInObjects.Deployment("orders", Image, 0), Ns);
        // Watching from the version before the change, so no step is missed however late the watch request arrives.
        var from = $"{standIn.ResourceVersion}";
        await using var pods = new WatchedEvents<V1Pod>(token =>
            client.CoreV1.WatchListNamespacedPodAsync(Ns, labelSelector: "app=orders", resourceVersion: from, cancellationToken: token));

        var scale = await client.AppsV1.ReadNamespacedDeploymentScaleAsync("orders", Ns);
        Assert.Equal((0, "app=orders"), (scale.Spec.Replicas ?? 0, scale.Status.Selector));
        var scaled = await client.AppsV1.PatchNamespacedDeploymentScaleAsync(
            new V1Patch("""{"spec":{"replicas":1}}""", V1Patch.PatchType.MergePatch), "orders", Ns, fieldManager: "meshdev");
        Assert.Equal(1, scaled.Spec.Replicas);

        var (_, added) = await pods.NextAsync((type, _) => type == WatchEventType.Added, "the new pod ADDED");
        Assert.Equal("Pending", added.Status.Phase);
        Assert.Matches(PodName(), added.Metadata.Name);
        Assert.Equal("orders", added.Metadata.Labels["app"]);
        Assert.Equal($"orders-{added.Metadata.Labels["pod-template-hash"]}", added.Metadata.OwnerReferences.Single().Name);
        var (_, running) = await pods.NextAsync((type, p) => type == WatchEventType.Modified && p.Status.Phase == "Running", "the pod Running");
        Assert.Equal(added.Metadata.Name, running.Metadata.Name);
        Assert.Equal("meshdev-standin-node", running.Spec.NodeName);
        var (_, ready) = await pods.NextAsync(
            (type, p) => type == WatchEventType.Modified && p.Status.Conditions.Any(c => c.Type == "Ready" && c.Status == "True"), "the pod Ready");
        Assert.True(ready.Status.ContainerStatuses.Single().Ready);
        Assert.True(long.Parse(ready.Metadata.ResourceVersion) > long.Parse(running.Metadata.ResourceVersion));

        // The Deployment's status follows, and the kubelet's Events tell the pod's story.
        var deployment = await client.AppsV1.WatchListNamespacedDeploymentAsync(Ns, fieldSelector: "metadata.name=orders")
            .FirstAsync(e => e.Item2.Status.ReadyReplicas == 1);
        Assert.Equal(deployment.Item2.Metadata.Generation, deployment.Item2.Status.ObservedGeneration);
        var events = await client.CoreV1.ListNamespacedEventAsync(Ns, fieldSelector: $"involvedObject.name={ready.Metadata.Name},involvedObject.kind=Pod");
        Assert.Equal(["Scheduled", "Pulling", "Pulled", "Created", "Started"], events.Items.Select(e => e.Reason));
        Assert.Single(standIn.Requests, r => r.Method == "PATCH" && r.Path.EndsWith("/deployments/orders/scale", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Scaling_to_zero_through_the_real_client_marks_pods_terminating_then_the_watch_sees_them_deleted()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        await using var target = await TargetServer.StartAsync("orders");
        standIn.SetImageBehaviour(Image, ImageBehaviour.Runs(target.Endpoint));
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        await client.AppsV1.CreateNamespacedDeploymentAsync(StandInObjects.Deployment("orders", Image, 2), Ns);
        await using var pods = new WatchedEvents<V1Pod>(token => client.CoreV1.WatchListNamespacedPodAsync(Ns, cancellationToken: token));
        var names = new HashSet<string>();
        while (names.Count < 2)
        {
            var (_, ready) = await pods.NextAsync((_, p) => p.Status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true, "two ready pods");
            names.Add(ready.Metadata.Name);
        }

        var scale = await client.AppsV1.ReadNamespacedDeploymentScaleAsync("orders", Ns);
        scale.Spec.Replicas = 0;
        // Unconditional: the Scale's resourceVersion is the Deployment's, which the controller's status writes move on.
        scale.Metadata.ResourceVersion = null;
        await client.AppsV1.ReplaceNamespacedDeploymentScaleAsync(scale, "orders", Ns);

        var (_, terminating) = await pods.NextAsync((type, p) => type == WatchEventType.Modified && p.Metadata.DeletionTimestamp is not null, "a pod terminating");
        Assert.Equal(30, terminating.Metadata.DeletionGracePeriodSeconds);
        var deleted = new HashSet<string>();
        while (deleted.Count < 2)
        {
            var (_, gone) = await pods.NextAsync((type, _) => type == WatchEventType.Deleted, "both pods DELETED");
            deleted.Add(gone.Metadata.Name);
        }

        Assert.Equal(names, deleted);
        Assert.Empty((await client.CoreV1.ListNamespacedPodAsync(Ns)).Items);
        var events = await client.CoreV1.ListNamespacedEventAsync(Ns, fieldSelector: "involvedObject.kind=Deployment,involvedObject.name=orders");
        Assert.Contains(events.Items, e => e.Reason == "ScalingReplicaSet" && e.Message.EndsWith("from 2 to 0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Deleting_a_deployment_through_the_real_client_deletes_its_pods_and_a_watch_from_a_list_version_sees_only_later_changes()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        await using var target = await TargetServer.StartAsync("orders");
        standIn.SetImageBehaviour(Image, ImageBehaviour.Runs(target.Endpoint));
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        await client.AppsV1.CreateNamespacedDeploymentAsync(StandInObjects.Deployment("orders", Image, 1), Ns);
        await using (var ready = new WatchedEvents<V1Pod>(token => client.CoreV1.WatchListNamespacedPodAsync(Ns, cancellationToken: token)))
        {
            await ready.NextAsync((_, p) => p.Status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true, "the pod ready");
        }

        var list = await client.CoreV1.ListNamespacedPodAsync(Ns);
        var pod = list.Items.Single();
        // WatchList… is ListNamespacedPodWithHttpMessagesAsync(watch: true) read by KubernetesClient's watcher.
        await using var pods = new WatchedEvents<V1Pod>(token =>
            client.CoreV1.WatchListNamespacedPodAsync(Ns, resourceVersion: list.Metadata.ResourceVersion, cancellationToken: token));
        await client.AppsV1.DeleteNamespacedDeploymentAsync("orders", Ns);

        var (firstType, first) = await pods.NextAsync((_, _) => true, "the first change after the list");
        Assert.Equal(WatchEventType.Modified, firstType);
        Assert.NotNull(first.Metadata.DeletionTimestamp);
        var (_, gone) = await pods.NextAsync((type, _) => type == WatchEventType.Deleted, "the pod DELETED");
        Assert.Equal(pod.Metadata.Uid, gone.Metadata.Uid);
        Assert.DoesNotContain(pods.Seen, e => e.Type == WatchEventType.Added);
    }

    [Fact]
    public async Task A_pod_becomes_ready_only_when_the_fake_clock_passes_ready_after_and_a_watch_ends_at_its_timeout()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 5, 1, 9, 0, 0, TimeSpan.Zero));
        await using var standIn = await KubernetesApiStandIn.StartAsync(time);
        await using var target = await TargetServer.StartAsync("orders");
        standIn.SetImageBehaviour(Image, ImageBehaviour.Runs(target.Endpoint, readyAfter: TimeSpan.FromSeconds(20)));
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        var created = await client.AppsV1.CreateNamespacedDeploymentAsync(StandInObjects.Deployment("orders", Image, 1), Ns);
        Assert.Equal(time.GetUtcNow().UtcDateTime, created.Metadata.CreationTimestamp);
        await using var pods = new WatchedEvents<V1Pod>(token => client.CoreV1.WatchListNamespacedPodAsync(Ns, timeoutSeconds: 60, cancellationToken: token));

        var (_, running) = await pods.NextAsync((_, p) => p.Status.Phase == "Running", "the pod Running");
        Assert.False(running.Status.ContainerStatuses.Single().Ready);
        Assert.Equal("False", running.Status.Conditions.Single(c => c.Type == "Ready").Status);
        time.Advance(TimeSpan.FromSeconds(20));
        var (_, ready) = await pods.NextAsync((_, p) => p.Status.ContainerStatuses?.SingleOrDefault()?.Ready == true, "the pod ready after 20 s");
        Assert.Equal(time.GetUtcNow().UtcDateTime, ready.Status.Conditions.Single(c => c.Type == "Ready").LastTransitionTime);

        time.Advance(TimeSpan.FromSeconds(40));
        await pods.EndedAsync();
    }

    [GeneratedRegex("^orders-[bcdfghjklmnpqrstvwxz2456789]{1,10}-[bcdfghjklmnpqrstvwxz2456789]{5}$")]
    private static partial Regex PodName();
}
