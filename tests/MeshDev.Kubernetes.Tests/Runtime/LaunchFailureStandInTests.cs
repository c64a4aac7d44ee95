using System.Net;
using System.Net.Sockets;
using k8s;
using k8s.Models;
using MeshDev.Activation;
using MeshDev.Kubernetes.Tests.ApiServer;
using MeshDev.Testing;
using Microsoft.Extensions.Time.Testing;

namespace MeshDev.Kubernetes.Tests.Runtime;

/// <summary>
/// Launches that cannot work, against the API-server stand-in (no real Kubernetes API server can run on these
/// machines): each reaches every waiting caller as soon as the pod status or an event shows it — never at the
/// startTimeout, which is 10 minutes here while each wait below is bounded far shorter — with the reason, the event's
/// message and the container's last log lines.
/// </summary>
public sealed class LaunchFailureStandInTests : IAsyncLifetime
{
    private static readonly TimeSpan WellBeforeStartTimeout = TimeSpan.FromSeconds(30);

    private StandInCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await StandInCluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private async Task<ServiceUnavailableException[]> CallersAsync(ServiceActivator activator, int callers = 5) =>
        await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Assert.ThrowsAsync<ServiceUnavailableException>(async () =>
        {
            using var lease = await activator.AcquireAsync();
        }))).WaitAsync(WellBeforeStartTimeout);

    [Fact]
    public async Task StandIn_an_image_that_cannot_be_pulled_fails_every_caller_fast_with_the_reason_and_the_pull_error()
    {
        _cluster.ApiServer.SetImageBehaviour("shop/nope:1", ImageBehaviour.ImagePullFails);
        var activator = _cluster.Activator(StandInCluster.Service("shop/nope:1"), _cluster.Runtime());

        var failures = await CallersAsync(activator);

        Assert.All(failures, f =>
        {
            Assert.Contains("ErrImagePull", f.Failure.Cause);
            Assert.Contains("Failed to pull image \"shop/nope:1\"", f.Failure.Cause);
            Assert.Contains("not found", f.Failure.Cause);
        });
        Assert.Equal(ServiceState.Failed, activator.State);
        Assert.True(await StandInCluster.EventuallyAsync(async () => (await _cluster.DeploymentAsync())!.Spec.Replicas == 0));
    }

    [Fact]
    public async Task StandIn_a_crash_loop_fails_every_caller_fast_with_the_exit_code_and_the_last_log_lines()
    {
        _cluster.ApiServer.SetImageBehaviour("shop/crash:1", ImageBehaviour.CrashLoops(3, ["starting orders", "panic: DB_URL is not set"], firstBackOff: TimeSpan.FromMilliseconds(200)));
        var activator = _cluster.Activator(StandInCluster.Service("shop/crash:1"), _cluster.Runtime());

        var failures = await CallersAsync(activator);

        Assert.All(failures, f =>
        {
            Assert.Contains("exited with code 3", f.Failure.Cause);
            Assert.Contains("panic: DB_URL is not set", f.Failure.Cause);
            Assert.Contains("panic: DB_URL is not set", f.Failure.LogTail);
        });
        Assert.True(await StandInCluster.EventuallyAsync(async () => (await _cluster.DeploymentAsync())!.Spec.Replicas == 0));
    }

    [Fact]
    public async Task StandIn_an_unschedulable_pod_is_waited_for_saying_why_and_fails_at_the_startTimeout_naming_the_reason()
    {
        // On an autoscaled cluster an unschedulable pod is how a node gets added: the launch waits (and keeps the
        // Deployment at 1, which asks for the node) until the startTimeout, on a clock the test moves.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _cluster.ApiServer.SetImageBehaviour("shop/huge:1", ImageBehaviour.Unschedulable);
        var activator = _cluster.Activator(StandInCluster.Service("shop/huge:1", startTimeout: TimeSpan.FromMinutes(5)), _cluster.Runtime(time: time));
        var caller = Assert.ThrowsAsync<ServiceUnavailableException>(async () =>
        {
            using var lease = await activator.AcquireAsync();
        });

        Assert.True(await StandInCluster.EventuallyAsync(() => Task.FromResult(LogHas(activator, "is unschedulable (0/3 nodes are available: 3 Insufficient cpu.); waiting for a node until startTimeout (5 min)"))),
            string.Join("\n", activator.Log.Tail(20)));
        var pod = (await _cluster.Client.CoreV1.ListNamespacedPodAsync(StandInCluster.Namespace)).Items.Single().Metadata.Name;
        Assert.Contains($"meshdev: pod {pod} is unschedulable (0/3 nodes are available: 3 Insufficient cpu.); waiting for a node until startTimeout (5 min)", activator.Log.Tail(20));

        // The cluster autoscaler's Normal event for the pod.
        await _cluster.Client.CoreV1.CreateNamespacedEventAsync(new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = $"{pod}.scale-up", NamespaceProperty = StandInCluster.Namespace },
            InvolvedObject = new V1ObjectReference { ApiVersion = "v1", Kind = "Pod", Name = pod, NamespaceProperty = StandInCluster.Namespace },
            Type = "Normal",
            Reason = "TriggeredScaleUp",
            Message = "pod triggered scale-up: [{pool-1 3->4 (max: 10)}]",
            Source = new V1EventSource { Component = "cluster-autoscaler" },
        }, StandInCluster.Namespace);
        Assert.True(await StandInCluster.EventuallyAsync(() => Task.FromResult(LogHas(activator, "; the cluster is adding a node; waiting for a node until startTimeout (5 min)"))),
            string.Join("\n", activator.Log.Tail(20)));
        Assert.False(caller.IsCompleted);
        Assert.Equal(1, (await _cluster.DeploymentAsync())!.Spec.Replicas);

        time.Advance(TimeSpan.FromMinutes(5));
        var failure = await caller.WaitAsync(WellBeforeStartTimeout);

        Assert.Equal(
            $"not ready after 5 min: pod {pod} is unschedulable: 0/3 nodes are available: 3 Insufficient cpu. (the cluster was adding a node, which did not take it in time); " +
            "raise 'startTimeout' if the cluster needs longer to add a node, or change what the pod asks for (resource requests, node selector, tolerations)",
            failure.Failure.Cause);
        Assert.True(await StandInCluster.EventuallyAsync(async () => (await _cluster.DeploymentAsync())!.Spec.Replicas == 0));
    }

    private static bool LogHas(ServiceActivator activator, string text) => activator.Log.Tail(50).Any(l => l.Contains(text, StringComparison.Ordinal));

    [Fact]
    public async Task StandIn_an_RBAC_refusal_fails_at_once_with_the_servers_denial_and_the_Role_to_ask_for()
    {
        _cluster.ApiServer.Forbid("patch", "deployments", StandInCluster.Namespace);
        var activator = _cluster.Activator(StandInCluster.Service(), _cluster.Runtime());

        var failure = (await CallersAsync(activator, callers: 2))[0];

        Assert.StartsWith("the cluster refused applying Deployment 'orders' in namespace meshdev-alice (generated) (Forbidden: ", failure.Failure.Cause);
        Assert.Contains("cannot patch resource \"deployments\"", failure.Failure.Cause);
        Assert.EndsWith("your account needs a Role in that namespace that allows it (see 'Kubernetes dev namespace' in the MeshDev README)", failure.Failure.Cause);
        Assert.Null(await _cluster.DeploymentAsync());
    }

    [Fact]
    public async Task StandIn_a_Role_without_port_forward_fails_the_launch_instead_of_every_later_connection()
    {
        _cluster.ApiServer.Forbid("*", "pods/portforward", StandInCluster.Namespace);
        var activator = _cluster.Activator(StandInCluster.Service(), _cluster.Runtime());

        var failure = (await CallersAsync(activator, callers: 2))[0];

        Assert.StartsWith("the cluster refused port-forwarding to pod orders-", failure.Failure.Cause);
        Assert.Contains("Forbidden", failure.Failure.Cause);
    }

    [Fact]
    public async Task StandIn_an_unreachable_API_server_is_one_sentence_saying_what_was_tried_and_how_to_fix_it()
    {
        var closedPort = TestPorts.Free();

        var kubeconfig = Path.Combine(_cluster.Directory, "unreachable");
        File.WriteAllText(kubeconfig, File.ReadAllText(_cluster.Kubeconfig).Replace(_cluster.ApiServer.Server.GetLeftPart(UriPartial.Authority), $"http://127.0.0.1:{closedPort}", StringComparison.Ordinal));
        var activator = _cluster.Activator(StandInCluster.Service(), _cluster.Runtime(kubeconfig: kubeconfig));

        var failure = (await CallersAsync(activator, callers: 2))[0];

        Assert.StartsWith($"the Kubernetes API server is not reachable at http://127.0.0.1:{closedPort}", failure.Failure.Cause);
        Assert.Contains($"context 'meshdev-test' of {kubeconfig}", failure.Failure.Cause);
        Assert.EndsWith("start the cluster (kind, k3d, minikube) or check your network or VPN, or choose another cluster with 'context' or KUBECONFIG", failure.Failure.Cause);
    }

    [Fact]
    public async Task StandIn_a_pod_that_is_not_Ready_by_the_startTimeout_is_described_in_the_clusters_terms()
    {
        _cluster.ApiServer.SetImageBehaviour("shop/slow:1", ImageBehaviour.Runs(_cluster.AppEndpoint, readyAfter: TimeSpan.FromMinutes(10), logLines: ["warming the cache"]));
        // Long enough that the pod has run and logged even on a loaded 2-core machine; short enough for a test.
        var activator = _cluster.Activator(StandInCluster.Service("shop/slow:1", startTimeout: TimeSpan.FromSeconds(8)), _cluster.Runtime());

        var failure = (await CallersAsync(activator, callers: 2))[0];

        Assert.Matches(
            "^not ready after 8 s: pod orders-[a-z0-9-]+ runs, but its readiness probe \\(tcp on port 8080\\) does not pass yet; last log lines: warming the cache; raise 'startTimeout' if it is just slow$",
            failure.Failure.Cause);
    }

    [Fact]
    public async Task StandIn_a_crash_after_ready_is_noticed_and_the_next_call_launches_again()
    {
        var activator = _cluster.Activator(StandInCluster.Service(), _cluster.Runtime());
        using (var lease = await StandInCluster.AcquireAsync(activator))
        {
            Assert.Equal("hello from orders", await StandInCluster.CallAsync(lease));
        }

        // Someone deletes the pod (kubectl delete pod, a node drain).
        var pod = (await _cluster.Client.CoreV1.ListNamespacedPodAsync(StandInCluster.Namespace)).Items.Single();
        await _cluster.Client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, StandInCluster.Namespace);

        Assert.True(await StandInCluster.EventuallyAsync(() => Task.FromResult(activator.State == ServiceState.Stopped)));
        Assert.Matches("^pod orders-[a-z0-9-]+ of Deployment orders (went away|is being deleted)", activator.LastFailure!.Cause);
        using var again = await StandInCluster.AcquireAsync(activator);
        Assert.Equal("hello from orders", await StandInCluster.CallAsync(again));
    }

    [Fact]
    public async Task StandIn_watches_the_server_ends_are_opened_again_and_a_pod_deleted_afterwards_is_still_noticed()
    {
        var activator = _cluster.Activator(StandInCluster.Service(), _cluster.Runtime());
        using (var lease = await StandInCluster.AcquireAsync(activator))
        {
            Assert.Equal("hello from orders", await StandInCluster.CallAsync(lease));
        }

        // A real API server ends each watch after its request timeout; the mesh must watch again, not go blind.
        int PodWatches() => _cluster.ApiServer.Requests.Count(r => r.Path.EndsWith("/pods", StringComparison.Ordinal) && r.PathAndQuery.Contains("watch=true", StringComparison.Ordinal));
        var before = PodWatches();
        _cluster.ApiServer.EndWatches();
        Assert.True(await StandInCluster.EventuallyAsync(() => Task.FromResult(PodWatches() > before)), "no new pod watch after the server ended the old one");

        var pod = (await _cluster.Client.CoreV1.ListNamespacedPodAsync(StandInCluster.Namespace)).Items.Single();
        await _cluster.Client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, StandInCluster.Namespace);

        Assert.True(await StandInCluster.EventuallyAsync(() => Task.FromResult(activator.State == ServiceState.Stopped)));
        Assert.Matches("^pod orders-[a-z0-9-]+ of Deployment orders (went away|is being deleted)", activator.LastFailure!.Cause);
    }

    [Fact]
    public async Task StandIn_a_field_the_schema_does_not_declare_in_the_teams_manifest_fails_the_launch_naming_it_and_the_file()
    {
        var service = _cluster.ManifestService($$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: orders }
            spec:
              selector: { matchLabels: { app: orders } }
              template:
                metadata: { labels: { app: orders } }
                spec:
                  containers:
                    - name: orders
                      image: {{StandInCluster.AppImage}}
                      imagePullPolicyy: Always
            """);
        var activator = _cluster.Activator(service, _cluster.Runtime());

        var failure = (await CallersAsync(activator, callers: 1))[0];

        // As a real API server answers server-side apply: the typo's path, never a silently dropped field.
        Assert.Contains(".spec.template.spec.containers[name=\"orders\"].imagePullPolicyy: field not declared in schema", failure.Failure.Cause);
        Assert.StartsWith("the API server refused applying Deployment 'orders' in namespace meshdev-alice (", failure.Failure.Cause);
        Assert.Contains(".yaml", failure.Failure.Cause);
        Assert.Null(await _cluster.DeploymentAsync());
    }
}
