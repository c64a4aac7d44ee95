using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// Pods that do not come up — a missing image, a crash loop, no room on any node — as the real KubernetesClient reads
/// them (pod watch, Event watch, pod log) from <see cref="KubernetesApiStandIn"/>, the in-process stand-in for an API
/// server (no real one can run here), whose simulated kubelet reports them as a cluster's does.
/// </summary>
public sealed class KubernetesClientPodFailuresAgainstStandInTests
{
    private const string Ns = "meshdev-alice";

    [Fact]
    public async Task An_image_that_cannot_be_pulled_shows_ErrImagePull_then_ImagePullBackOff_with_Failed_and_BackOff_events()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        standIn.SetImageBehaviour("shop/orders:missing", ImageBehaviour.ImagePullFails);
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        // Watching from the version before the change, so no step is missed however late the watch request arrives.
        var from = $"{standIn.ResourceVersion}";
        await using var pods = new WatchedEvents<V1Pod>(token => client.CoreV1.WatchListNamespacedPodAsync(Ns, resourceVersion: from, cancellationToken: token));
        await client.AppsV1.CreateNamespacedDeploymentAsync(StandInObjects.Deployment("orders", "shop/orders:missing", 1), Ns);

        var (_, pulling) = await pods.NextAsync((_, p) => Waiting(p)?.Reason == "ErrImagePull", "ErrImagePull");
        Assert.Equal(
            "rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/shop/orders:missing\": failed to resolve reference \"docker.io/shop/orders:missing\": docker.io/shop/orders:missing: not found",
            Waiting(pulling)!.Message);
        var (_, backingOff) = await pods.NextAsync((_, p) => Waiting(p)?.Reason == "ImagePullBackOff", "ImagePullBackOff");
        Assert.StartsWith("Back-off pulling image \"shop/orders:missing\"", Waiting(backingOff)!.Message);
        Assert.Equal("Pending", backingOff.Status.Phase);

        var name = backingOff.Metadata.Name;
        await using var events = new WatchedEvents<Corev1Event>(token =>
            client.CoreV1.WatchListNamespacedEventAsync(Ns, fieldSelector: $"involvedObject.name={name},involvedObject.kind=Pod", cancellationToken: token));
        var (_, failed) = await events.NextAsync((_, e) => e.Reason == "Failed" && e.Message.StartsWith("Failed to pull image", StringComparison.Ordinal), "Failed");
        Assert.Equal(("Warning", "kubelet", "spec.containers{orders}"), (failed.Type, failed.Source.Component, failed.InvolvedObject.FieldPath));
        Assert.Contains("rpc error: code = NotFound", failed.Message);
        var (_, backOff) = await events.NextAsync((_, e) => e.Reason == "BackOff", "BackOff");
        Assert.Equal("Back-off pulling image \"shop/orders:missing\"", backOff.Message);

        var noLog = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReadNamespacedPodLogAsync(name, Ns));
        Assert.Equal(HttpStatusCode.BadRequest, noLog.Response.StatusCode);
        Assert.Equal($"container \"orders\" in pod \"{name}\" is waiting to start: trying and failing to pull image",
            KubernetesJson.Deserialize<V1Status>(noLog.Response.Content).Message);
    }

    [Fact]
    public async Task A_crash_looping_container_shows_its_exit_code_CrashLoopBackOff_growing_restarts_its_log_and_a_BackOff_event()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 5, 1, 9, 0, 0, TimeSpan.Zero));
        await using var standIn = await KubernetesApiStandIn.StartAsync(time);
        standIn.SetImageBehaviour("shop/orders:dev", ImageBehaviour.CrashLoops(3, ["starting orders", "panic: no database at db:5432"]));
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        var from = $"{standIn.ResourceVersion}";
        await using var pods = new WatchedEvents<V1Pod>(token => client.CoreV1.WatchListNamespacedPodAsync(Ns, resourceVersion: from, cancellationToken: token));
        await client.AppsV1.CreateNamespacedDeploymentAsync(StandInObjects.Deployment("orders", "shop/orders:dev", 1), Ns);

        await pods.NextAsync((_, p) => Status(p)?.State.Running is not null, "the container running");
        var (_, exited) = await pods.NextAsync((_, p) => Status(p)?.State.Terminated is not null, "the container exited");
        Assert.Equal((3, "Error"), (Status(exited)!.State.Terminated.ExitCode, Status(exited)!.State.Terminated.Reason));
        var (_, looping) = await pods.NextAsync((_, p) => Waiting(p)?.Reason == "CrashLoopBackOff", "CrashLoopBackOff");
        var container = Status(looping)!;
        Assert.Equal((1, 3, "Running"), (container.RestartCount, container.LastState.Terminated.ExitCode, looping.Status.Phase));
        Assert.Equal($"back-off 10s restarting failed container=orders pod={looping.Metadata.Name}_{Ns}({looping.Metadata.Uid})", container.State.Waiting.Message);
        Assert.False(container.Ready);

        var name = looping.Metadata.Name;
        using (var log = new StreamReader(await client.CoreV1.ReadNamespacedPodLogAsync(name, Ns, tailLines: 1)))
        {
            Assert.Equal("panic: no database at db:5432\n", await log.ReadToEndAsync());
        }

        using (var previous = new StreamReader(await client.CoreV1.ReadNamespacedPodLogAsync(name, Ns, container: "orders", previous: true)))
        {
            Assert.Equal("starting orders\npanic: no database at db:5432\n", await previous.ReadToEndAsync());
        }

        var events = await client.CoreV1.ListNamespacedEventAsync(Ns, fieldSelector: $"involvedObject.name={name},reason=BackOff");
        Assert.Equal($"Back-off restarting failed container orders in pod {name}_{Ns}({looping.Metadata.Uid})", events.Items.Single().Message);

        // The kubelet restarts it when the back-off has passed; it crashes again and backs off twice as long.
        time.Advance(TimeSpan.FromSeconds(10));
        var (_, again) = await pods.NextAsync((_, p) => Status(p)?.RestartCount == 2 && Waiting(p)?.Reason == "CrashLoopBackOff", "the second crash");
        Assert.StartsWith("back-off 20s", Waiting(again)!.Message);
        var repeated = await client.CoreV1.ListNamespacedEventAsync(Ns, fieldSelector: $"involvedObject.name={name},reason=BackOff");
        Assert.Equal(2, repeated.Items.Single().Count);
    }

    [Fact]
    public async Task A_pod_no_node_has_room_for_stays_pending_with_PodScheduled_false_and_a_FailedScheduling_event()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        standIn.SetImageBehaviour("shop/orders:huge", ImageBehaviour.Unschedulable);
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        await using var events = new WatchedEvents<Corev1Event>(token => client.CoreV1.WatchListNamespacedEventAsync(Ns, cancellationToken: token));
        await client.AppsV1.CreateNamespacedDeploymentAsync(StandInObjects.Deployment("orders", "shop/orders:huge", 1), Ns);

        var (_, failedScheduling) = await events.NextAsync((_, e) => e.Reason == "FailedScheduling", "FailedScheduling");
        Assert.Equal(("Warning", "default-scheduler", "0/3 nodes are available: 3 Insufficient cpu."),
            (failedScheduling.Type, failedScheduling.Source.Component, failedScheduling.Message));
        var pod = await client.CoreV1.ReadNamespacedPodAsync(failedScheduling.InvolvedObject.Name, Ns);
        var scheduled = pod.Status.Conditions.Single(c => c.Type == "PodScheduled");
        Assert.Equal(("False", "Unschedulable", "0/3 nodes are available: 3 Insufficient cpu."), (scheduled.Status, scheduled.Reason, scheduled.Message));
        Assert.Equal("Pending", pod.Status.Phase);
        Assert.Null(pod.Spec.NodeName);
    }

    [Fact]
    public async Task Pod_logs_honour_container_tailLines_and_follow_and_name_the_containers_when_one_must_be_chosen()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        await using var target = await TargetServer.StartAsync("orders");
        standIn.SetImageBehaviour("shop/orders:dev", ImageBehaviour.Runs(target.Endpoint, logLines: ["listening on :8080", "GET / 200"]));
        standIn.SetImageBehaviour("shop/sidecar:1", ImageBehaviour.Runs(target.Endpoint, logLines: ["sidecar up"], port: 9901));
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        var deployment = StandInObjects.Deployment("orders", "shop/orders:dev", 1);
        deployment.Spec.Template.Spec.Containers.Add(new V1Container { Name = "sidecar", Image = "shop/sidecar:1" });
        await using var pods = new WatchedEvents<V1Pod>(token => client.CoreV1.WatchListNamespacedPodAsync(Ns, cancellationToken: token));
        await client.AppsV1.CreateNamespacedDeploymentAsync(deployment, Ns);
        var (_, ready) = await pods.NextAsync((_, p) => p.Status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true, "the pod ready");
        var name = ready.Metadata.Name;

        using (var log = new StreamReader(await client.CoreV1.ReadNamespacedPodLogAsync(name, Ns, container: "orders", tailLines: 1)))
        {
            Assert.Equal("GET / 200\n", await log.ReadToEndAsync());
        }

        using (var log = new StreamReader(await client.CoreV1.ReadNamespacedPodLogAsync(name, Ns, container: "sidecar")))
        {
            Assert.Equal("sidecar up\n", await log.ReadToEndAsync());
        }

        var ambiguous = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReadNamespacedPodLogAsync(name, Ns));
        Assert.Equal($"a container name must be specified for pod {name}, choose one of: [orders sidecar]",
            KubernetesJson.Deserialize<V1Status>(ambiguous.Response.Content).Message);
        var unknown = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReadNamespacedPodLogAsync(name, Ns, container: "web"));
        Assert.Equal($"container web is not valid for pod {name}", KubernetesJson.Deserialize<V1Status>(unknown.Response.Content).Message);

        // Following a log keeps the stream open until the pod is gone.
        using var follow = new StreamReader(await client.CoreV1.ReadNamespacedPodLogAsync(name, Ns, container: "orders", follow: true));
        Assert.Equal("listening on :8080", await follow.ReadLineAsync());
        Assert.Equal("GET / 200", await follow.ReadLineAsync());
        await client.CoreV1.DeleteNamespacedPodAsync(name, Ns, gracePeriodSeconds: 0);
        Assert.Null(await follow.ReadLineAsync());
    }

    private static V1ContainerStatus? Status(V1Pod pod) => pod.Status?.ContainerStatuses?.SingleOrDefault();

    private static V1ContainerStateWaiting? Waiting(V1Pod pod) => Status(pod)?.State?.Waiting;
}
