using k8s;
using k8s.Models;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// How the stand-in's kubelet starts a pod with a native sidecar (an init container with <c>restartPolicy: Always</c>),
/// as a real kubelet does: the sidecar first, listed in <c>initContainerStatuses</c>; the app's containers only once it
/// has started — its postStart hook returned and its startupProbe passed, a probe made at the pod's IP. Real processes
/// (python3's http.server, sh) in the pod's own network namespace; needs root, as CI has.
/// </summary>
public sealed class SidecarStartStandInTests : IDisposable
{
    private const string Ns = "meshdev-alice";
    private const string AppImage = "shop/web:dev";
    private const string SidecarImage = "shop/sidecar:dev";
    private const int SidecarPort = 15001;

    private readonly string _directory = Directory.CreateTempSubdirectory("meshdev-sidecar-").FullName;

    public SidecarStartStandInTests() => Assert.True(NodeNetwork.RootProblem is null, NodeNetwork.RootProblem);

    [Fact]
    public async Task StandIn_a_tcpSocket_startup_probe_on_a_sidecar_listening_on_127_0_0_1_fails_and_the_app_never_starts()
    {
        await using var standIn = await StartAsync();
        using var client = standIn.CreateClient();
        var deployment = Deployment(sidecar =>
            sidecar.StartupProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = SidecarPort }, PeriodSeconds = 1, FailureThreshold = 2 });
        await using var events = Events(client, standIn);
        await client.AppsV1.CreateNamespacedDeploymentAsync(deployment, Ns);

        // The kubelet dials the pod's IP, where nothing listens: the sidecar is killed after two failures.
        var (_, failed) = await events.NextAsync((_, e) => e.Reason == "Unhealthy", "the startup probe failing");
        Assert.StartsWith("Startup probe failed: dial tcp 10.", failed.Message);
        Assert.Equal("spec.initContainers{sidecar}", failed.InvolvedObject.FieldPath);
        var (_, killed) = await events.NextAsync((_, e) => e.Reason == "Killing", "the sidecar killed");
        Assert.Equal("Container sidecar failed startup probe, will be restarted", killed.Message);

        var pod = Assert.Single((await client.CoreV1.ListNamespacedPodAsync(Ns)).Items);
        Assert.Equal("PodInitializing", Assert.Single(pod.Status.ContainerStatuses).State.Waiting?.Reason);
        Assert.Equal("False", PodStatusRules.Condition(pod, "Initialized")?.Status);
        Assert.Equal("Pending", pod.Status.Phase);
        Assert.DoesNotContain(events.Seen, e => e.Object.Reason == "Started" && e.Object.InvolvedObject.FieldPath == "spec.containers{web}");
    }

    [Fact]
    public async Task StandIn_the_app_starts_only_once_the_sidecars_postStart_hook_has_returned()
    {
        var gate = Path.Combine(_directory, "gate");
        await using var standIn = await StartAsync();
        using var client = standIn.CreateClient();
        var deployment = Deployment(sidecar => sidecar.Lifecycle = Hook($"while [ ! -e {gate} ]; do sleep 0.02; done"));
        var from = (await client.CoreV1.ListNamespacedPodAsync(Ns)).Metadata.ResourceVersion;
        await using var pods = new WatchedEvents<V1Pod>(token => client.CoreV1.WatchListNamespacedPodAsync(Ns, resourceVersion: from, cancellationToken: token));
        await client.AppsV1.CreateNamespacedDeploymentAsync(deployment, Ns);

        var (_, sidecarRunning) = await pods.NextAsync((_, p) => Sidecar(p)?.State?.Running is not null, "the sidecar's process running");
        Assert.False(Sidecar(sidecarRunning)!.Started);
        Assert.Equal("PodInitializing", Assert.Single(sidecarRunning.Status.ContainerStatuses).State.Waiting?.Reason);

        // Its hook waits for the gate: the app cannot have started before this.
        await File.WriteAllTextAsync(gate, "");
        var (_, ready) = await pods.NextAsync((_, p) => PodStatusRules.IsReady(p), "the pod ready");
        Assert.True(Sidecar(ready)!.Started);
        Assert.Equal("Running", ready.Status.Phase);
        var before = pods.Seen.TakeWhile(e => e.Object != ready).Select(e => e.Object).ToList();
        var appStarted = before.First(p => p.Status?.ContainerStatuses?.SingleOrDefault()?.State?.Running is not null);
        Assert.True(Sidecar(appStarted)!.Started, "the app's container ran before its sidecar had started");
    }

    [Fact]
    public async Task StandIn_a_failing_postStart_hook_is_a_FailedPostStartHook_event_and_the_app_never_starts()
    {
        await using var standIn = await StartAsync();
        using var client = standIn.CreateClient();
        var deployment = Deployment(sidecar => sidecar.Lifecycle = Hook("echo the gateway does not listen >&2; exit 3"));
        await using var events = Events(client, standIn);
        await client.AppsV1.CreateNamespacedDeploymentAsync(deployment, Ns);

        var (_, failed) = await events.NextAsync((_, e) => e.Reason == "FailedPostStartHook", "the hook failing");
        Assert.Equal("Warning", failed.Type);
        Assert.Contains("exited with 3: the gateway does not listen", failed.Message);
        Assert.Equal("spec.initContainers{sidecar}", failed.InvolvedObject.FieldPath);
        var pod = Assert.Single((await client.CoreV1.ListNamespacedPodAsync(Ns)).Items);
        Assert.Equal("PodInitializing", Assert.Single(pod.Status.ContainerStatuses).State.Waiting?.Reason);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<KubernetesApiStandIn> StartAsync()
    {
        var standIn = await KubernetesApiStandIn.StartAsync();
        standIn.SetImageBehaviour(AppImage, ImageBehaviour.Executes(RealPython.Path, ["-m", "http.server"], ["8080"], workingDirectory: _directory));
        standIn.SetImageBehaviour(SidecarImage, ImageBehaviour.Executes(RealPython.Path, ["-m", "http.server"], workingDirectory: _directory));
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        return standIn;
    }

    /// <summary>The app (http.server on 8080) behind a sidecar serving 127.0.0.1 only, as the mesh's gateway does.</summary>
    private static V1Deployment Deployment(Action<V1Container> sidecar)
    {
        var deployment = StandInObjects.Deployment("web", AppImage, 1);
        var container = new V1Container { Name = "sidecar", Image = SidecarImage, RestartPolicy = "Always", Args = ["--bind", "127.0.0.1", $"{SidecarPort}"] };
        sidecar(container);
        deployment.Spec.Template.Spec.InitContainers = [container];
        return deployment;
    }

    private static V1Lifecycle Hook(string script) =>
        new() { PostStart = new V1LifecycleHandler { Exec = new V1ExecAction { Command = ["/bin/sh", "-c", script] } } };

    private static WatchedEvents<Corev1Event> Events(k8s.Kubernetes client, KubernetesApiStandIn standIn)
    {
        var from = $"{standIn.ResourceVersion}";
        return new WatchedEvents<Corev1Event>(token =>
            client.CoreV1.WatchListNamespacedEventAsync(Ns, fieldSelector: "involvedObject.kind=Pod", resourceVersion: from, cancellationToken: token));
    }

    private static V1ContainerStatus? Sidecar(V1Pod pod) => pod.Status?.InitContainerStatuses?.SingleOrDefault();
}
