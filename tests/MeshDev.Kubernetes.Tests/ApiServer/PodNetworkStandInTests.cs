using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using k8s;
using k8s.Models;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// The stand-in's kubelet running pods for real (<see cref="ImageBehaviour.Executes"/>): real processes (python3's
/// http.server, sh), each pod in a Linux network namespace of its own on a bridge in the stand-in's node namespace,
/// driven through the real KubernetesClient against <see cref="KubernetesApiStandIn"/>, the in-process stand-in for an
/// API server (no real one can run here). Needs root, as CI has.
/// </summary>
public sealed class PodNetworkStandInTests : IDisposable
{
    private const string Ns = "meshdev-alice";
    private const string WebImage = "shop/web:dev";

    private readonly string _directory = Directory.CreateTempSubdirectory("meshdev-netns-").FullName;
    private readonly List<string> _variables = [];

    public PodNetworkStandInTests()
    {
        Assert.True(NodeNetwork.RootProblem is null, NodeNetwork.RootProblem);
        File.WriteAllText(Path.Combine(_directory, "hello.txt"), "hello from a pod");
    }

    [Fact]
    public async Task StandIn_runs_a_python_server_pod_that_gets_Ready_by_its_tcpSocket_probe_and_answers_through_a_port_forward()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        standIn.SetImageBehaviour(WebImage, HttpServer());
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));

        var pod = await ReadyPodAsync(client, WebDeployment("web"));

        var network = standIn.NetworkOf(Ns, pod.Metadata.Name)!;
        Assert.Equal(network.Address.ToString(), pod.Status.PodIP);
        Assert.StartsWith("10.", pod.Status.PodIP);
        Assert.Contains(network.Name, await NamespacesAsync(standIn.NetworkNamespacePrefix));
        Assert.Contains((await client.CoreV1.ListNamespacedEventAsync(Ns, fieldSelector: $"involvedObject.name={pod.Metadata.Name}")).Items,
            e => e.Reason == "Started");
        // The process answering is the real python3, inside the pod's namespace.
        var inside = await network.ProcessesAsync();
        Assert.Contains(inside, pid => File.ReadAllText($"/proc/{pid}/cmdline").Contains("http.server", StringComparison.Ordinal));

        var response = await ForwardAsync(client, pod, 8080, "GET /hello.txt HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.0 200 OK\r\n", response);
        Assert.EndsWith("\r\n\r\nhello from a pod", response);
        // http.server logs each request on stderr: the container log has it.
        using var log = new StreamReader(await client.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, Ns));
        Assert.Contains("\"GET /hello.txt HTTP/1.1\" 200", await log.ReadToEndAsync());
    }

    [Fact]
    public async Task StandIn_pod_cannot_reach_a_listener_on_the_hosts_loopback_nor_any_host_address()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        standIn.SetImageBehaviour(WebImage, HttpServer());
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        var pod = await ReadyPodAsync(client, WebDeployment("web"));
        var network = standIn.NetworkOf(Ns, pod.Metadata.Name)!;
        using var loopbackListener = new TcpListener(IPAddress.Loopback, 0);
        loopbackListener.Start();
        var port = ((IPEndPoint)loopbackListener.LocalEndpoint).Port;
        using var anyListener = new TcpListener(IPAddress.Any, 0);
        anyListener.Start();
        var anyPort = ((IPEndPoint)anyListener.LocalEndpoint).Port;

        // From the pod, 127.0.0.1 is the pod's own loopback: nothing listens there on that port.
        var refused = await Assert.ThrowsAsync<SocketException>(() => network.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        // A process of the pod fails the same way.
        var attempt = await network.RunAsync([RealPython.Path, "-c", $"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=5)"]);
        Assert.NotEqual(0, attempt.ExitCode);
        Assert.Contains("ConnectionRefusedError", attempt.Error);
        // And no address of the host is routed from the pod: the pod has no way off its bridge.
        foreach (var address in HostAddresses())
        {
            var unreachable = await Assert.ThrowsAsync<SocketException>(() => network.ConnectAsync(new IPEndPoint(address, anyPort)));
            Assert.Equal(SocketError.NetworkUnreachable, unreachable.SocketErrorCode);
        }

        Assert.False(loopbackListener.Pending());
        Assert.False(anyListener.Pending());
        // The host itself does reach its own listener: the refusal above is the namespace's doing.
        using var fromHost = new TcpClient();
        await fromHost.ConnectAsync(IPAddress.Loopback, port);
        Assert.True(fromHost.Connected);
    }

    [Fact]
    public async Task StandIn_pod_reaches_another_pod_at_its_podIP_over_the_node_bridge()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        standIn.SetImageBehaviour(WebImage, HttpServer());
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        var a = await ReadyPodAsync(client, WebDeployment("a"));
        var b = await ReadyPodAsync(client, WebDeployment("b"));
        Assert.NotEqual(a.Status.PodIP, b.Status.PodIP);

        var fetched = await standIn.NetworkOf(Ns, a.Metadata.Name)!.RunAsync(
            [RealPython.Path, "-c", $"import urllib.request; print(urllib.request.urlopen('http://{b.Status.PodIP}:8080/hello.txt', timeout=10).read().decode())"]);

        Assert.Equal((0, "hello from a pod"), (fetched.ExitCode, fetched.Output.Trim()));
        // b's own log shows the call came from a's address.
        using var log = new StreamReader(await client.CoreV1.ReadNamespacedPodLogAsync(b.Metadata.Name, Ns));
        Assert.Contains($"{a.Status.PodIP} - - ", await log.ReadToEndAsync());
    }

    [Fact]
    public async Task StandIn_passes_the_deployments_args_and_env_to_the_process_and_nothing_else_of_the_test_process()
    {
        const string leak = "MESHDEV_NETNS_TEST_LEAK";
        // Set in the test process, it must not reach the pod (removed when the class's test is done).
        Environment.SetEnvironmentVariable(leak, "leaked");
        _variables.Add(leak);
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        standIn.SetImageBehaviour("shop/echo:dev", ImageBehaviour.Executes(
            "/bin/sh", ["-c"], ["echo the image default runs"], new Dictionary<string, string> { ["FROM_IMAGE"] = "image", ["X"] = "image's" }, _directory));
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        var deployment = StandInObjects.Deployment("echo", "shop/echo:dev", 1);
        var container = deployment.Spec.Template.Spec.Containers[0];
        // $(GREETING) is expanded by the kubelet, not the shell; $$ is a literal $.
        container.Args = ["echo \"X=$X\"; echo \"greeting=$(GREETING)\"; echo \"image=$FROM_IMAGE pod=$POD_IP\"; " +
            $"echo \"leak=${{{leak}:-none}} host=$HOSTNAME cwd=$(pwd)\"; echo \"args=$0 $1\" 'literal=$$(X)'; exec sleep 600", "zero", "one"];
        container.Env =
        [
            new V1EnvVar { Name = "X", Value = "from the deployment" },
            new V1EnvVar { Name = "GREETING", Value = "hi $(X)" },
            new V1EnvVar { Name = "POD_IP", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "status.podIP" } } },
        ];
        container.WorkingDir = _directory;
        var pod = await ReadyPodAsync(client, deployment);

        using var follow = new StreamReader(await client.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, Ns, follow: true));
        Assert.Equal("X=from the deployment", await follow.ReadLineAsync());
        Assert.Equal("greeting=hi from the deployment", await follow.ReadLineAsync());
        Assert.Equal($"image=image pod={pod.Status.PodIP}", await follow.ReadLineAsync());
        Assert.Equal($"leak=none host={pod.Metadata.Name} cwd={_directory}", await follow.ReadLineAsync());
        Assert.Equal("args=zero one literal=$(X)", await follow.ReadLineAsync());
    }

    [Fact]
    public async Task StandIn_a_crashing_command_shows_its_exit_code_then_CrashLoopBackOff_with_its_last_log_line_and_restarts()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        standIn.SetImageBehaviour("shop/orders:dev", ImageBehaviour.Executes(
            "/bin/sh", ["-c"], ["echo starting orders >&2; echo 'panic: no database at db:5432' >&2; exit 3"], firstBackOff: TimeSpan.FromSeconds(1)));
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        var from = $"{standIn.ResourceVersion}";
        await using var pods = new WatchedEvents<V1Pod>(token => client.CoreV1.WatchListNamespacedPodAsync(Ns, resourceVersion: from, cancellationToken: token));
        await client.AppsV1.CreateNamespacedDeploymentAsync(StandInObjects.Deployment("orders", "shop/orders:dev", 1), Ns);

        var (_, exited) = await pods.NextAsync((_, p) => Status(p)?.State.Terminated is not null, "the container exited");
        Assert.Equal((3, "Error"), (Status(exited)!.State.Terminated.ExitCode, Status(exited)!.State.Terminated.Reason));
        var (_, looping) = await pods.NextAsync((_, p) => Status(p)?.State.Waiting?.Reason == "CrashLoopBackOff", "CrashLoopBackOff");
        Assert.Equal((1, 3), (Status(looping)!.RestartCount, Status(looping)!.LastState.Terminated.ExitCode));
        Assert.StartsWith("back-off 1s restarting failed container=orders", Status(looping)!.State.Waiting.Message);
        var name = looping.Metadata.Name;
        using (var log = new StreamReader(await client.CoreV1.ReadNamespacedPodLogAsync(name, Ns, tailLines: 1)))
        {
            Assert.Equal("panic: no database at db:5432\n", await log.ReadToEndAsync());
        }

        // Restarted after the back-off, it crashes again, and backs off twice as long; the previous log is the last run's.
        var (_, again) = await pods.NextAsync((_, p) => Status(p)?.RestartCount == 2 && Status(p)?.State.Waiting?.Reason == "CrashLoopBackOff", "the second crash");
        Assert.StartsWith("back-off 2s", Status(again)!.State.Waiting.Message);
        using var previous = new StreamReader(await client.CoreV1.ReadNamespacedPodLogAsync(name, Ns, previous: true));
        // Both lines go to stderr: one pipe keeps their order (stdout and stderr are two pipes, ordered within each only).
        Assert.Equal("starting orders\npanic: no database at db:5432\n", await previous.ReadToEndAsync());
        var backOff = await client.CoreV1.ListNamespacedEventAsync(Ns, fieldSelector: $"involvedObject.name={name},reason=BackOff");
        Assert.True(backOff.Items.Single().Count >= 2);
    }

    [Fact]
    public async Task StandIn_a_command_missing_on_this_machine_fails_with_the_runtimes_StartError()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        standIn.SetImageBehaviour("shop/orders:dev", ImageBehaviour.Executes("no-such-command-meshdev"));
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        await using var pods = new WatchedEvents<V1Pod>(token => client.CoreV1.WatchListNamespacedPodAsync(Ns, cancellationToken: token));
        await client.AppsV1.CreateNamespacedDeploymentAsync(StandInObjects.Deployment("orders", "shop/orders:dev", 1), Ns);

        var (_, looping) = await pods.NextAsync((_, p) => Status(p)?.State.Waiting?.Reason == "CrashLoopBackOff", "CrashLoopBackOff");

        var terminated = Status(looping)!.LastState.Terminated;
        Assert.Equal((128, "StartError"), (terminated.ExitCode, terminated.Reason));
        Assert.Contains("exec: \"no-such-command-meshdev\": executable file not found in $PATH", terminated.Message);
        var failed = await client.CoreV1.ListNamespacedEventAsync(Ns, fieldSelector: $"involvedObject.name={looping.Metadata.Name},reason=Failed");
        Assert.Contains(failed.Items, e => e.Message.Contains("executable file not found", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StandIn_env_from_a_secret_is_a_CreateContainerConfigError_saying_what_the_stand_in_resolves()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        standIn.SetImageBehaviour("shop/orders:dev", ImageBehaviour.Executes("/bin/sh", ["-c"], ["exec sleep 600"]));
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        var deployment = StandInObjects.Deployment("orders", "shop/orders:dev", 1);
        deployment.Spec.Template.Spec.Containers[0].Env =
            [new V1EnvVar { Name = "DB_PASSWORD", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = "db", Key = "password" } } }];
        await using var pods = new WatchedEvents<V1Pod>(token => client.CoreV1.WatchListNamespacedPodAsync(Ns, cancellationToken: token));
        await client.AppsV1.CreateNamespacedDeploymentAsync(deployment, Ns);

        var (_, waiting) = await pods.NextAsync((_, p) => Status(p)?.State.Waiting?.Reason == "CreateContainerConfigError", "CreateContainerConfigError");

        Assert.Equal(
            "the stand-in resolves env variable DB_PASSWORD only from a plain value or a fieldRef to metadata.name, metadata.namespace, metadata.uid, " +
            "spec.nodeName, status.podIP, status.hostIP, not from a secretKeyRef: give it a plain value",
            Status(waiting)!.State.Waiting.Message);
        Assert.Empty(await standIn.NetworkOf(Ns, waiting.Metadata.Name)!.ProcessesAsync());
    }

    [Fact]
    public async Task StandIn_a_sidecar_shares_the_pods_namespace_each_container_answering_on_its_own_127_0_0_1_port()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        var sidecarDirectory = Directory.CreateDirectory(Path.Combine(_directory, "sidecar")).FullName;
        File.WriteAllText(Path.Combine(sidecarDirectory, "hello.txt"), "hello from the sidecar");
        standIn.SetImageBehaviour(WebImage, HttpServer());
        standIn.SetImageBehaviour("meshdev/gateway:dev", ImageBehaviour.Executes(RealPython.Path, ["-m", "http.server"], workingDirectory: sidecarDirectory));
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        var deployment = WebDeployment("web");
        var web = deployment.Spec.Template.Spec.Containers[0];
        web.Args = ["--bind", "127.0.0.1", "8080"];
        // Listening on 127.0.0.1 only, neither passes a probe made at the pod's IP: exec probes check from inside.
        web.ReadinessProbe = ConnectProbe(8080);
        deployment.Spec.Template.Spec.Containers.Add(new V1Container
        {
            Name = "gateway",
            Image = "meshdev/gateway:dev",
            Args = ["--bind", "127.0.0.1", "15001"],
            ReadinessProbe = ConnectProbe(15001),
        });

        var pod = await ReadyPodAsync(client, deployment);

        Assert.EndsWith("hello from a pod", await ForwardAsync(client, pod, 8080, "GET /hello.txt HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n"));
        Assert.EndsWith("hello from the sidecar", await ForwardAsync(client, pod, 15001, "GET /hello.txt HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n"));
        // The app reaches its sidecar at 127.0.0.1, as a process of the pod.
        var call = await standIn.NetworkOf(Ns, pod.Metadata.Name)!.RunAsync(
            [RealPython.Path, "-c", "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:15001/hello.txt', timeout=10).read().decode())"]);
        Assert.Equal("hello from the sidecar", call.Output.Trim());
        // From outside the pod, the pod's IP does not serve what listens on its loopback.
        var otherPod = await ReadyPodAsync(client, WebDeployment("other"));
        var refused = await Assert.ThrowsAsync<SocketException>(() =>
            standIn.NetworkOf(Ns, otherPod.Metadata.Name)!.ConnectAsync(new IPEndPoint(IPAddress.Parse(pod.Status.PodIP), 15001)));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task StandIn_deleting_the_pod_then_disposing_the_stand_in_leaves_no_process_and_no_namespace()
    {
        var standIn = await KubernetesApiStandIn.StartAsync();
        var prefix = standIn.NetworkNamespacePrefix;
        List<int> pids;
        try
        {
            // The shell and its children ignore SIGTERM, and one child leaves the group: only SIGKILL after the grace
            // period, and the sweep of the namespace, end them all.
            standIn.SetImageBehaviour("shop/stubborn:dev", ImageBehaviour.Executes("/bin/sh", ["-c"], ["trap '' TERM; setsid sleep 600 & sleep 600 & echo started; wait"]));
            using var client = standIn.CreateClient();
            await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
            var deployment = StandInObjects.Deployment("stubborn", "shop/stubborn:dev", 1);
            deployment.Spec.Template.Spec.TerminationGracePeriodSeconds = 1;
            var pod = await ReadyPodAsync(client, deployment);
            var network = standIn.NetworkOf(Ns, pod.Metadata.Name)!;
            using (var log = new StreamReader(await client.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, Ns, follow: true)))
            {
                Assert.Equal("started", await log.ReadLineAsync());
            }

            pids = [.. await network.ProcessesAsync()];
            Assert.Equal(3, pids.Count);

            await using var pods = new WatchedEvents<V1Pod>(token => client.CoreV1.WatchListNamespacedPodAsync(Ns, cancellationToken: token));
            await client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, Ns);
            await pods.NextAsync((type, p) => type == WatchEventType.Deleted && p.Metadata.Uid == pod.Metadata.Uid, "the pod deleted");

            Assert.DoesNotContain(pids, UnixProcess.IsAlive);
            Assert.DoesNotContain(network.Name, await NamespacesAsync(prefix));

            // The Deployment's replacement runs when the stand-in goes (a new watch lists it as it is now).
            await using var now = new WatchedEvents<V1Pod>(token => client.CoreV1.WatchListNamespacedPodAsync(Ns, cancellationToken: token));
            var (_, replacement) = await now.NextAsync((_, p) => p.Status?.ContainerStatuses?.SingleOrDefault()?.State?.Running is not null, "the replacement running");
            pids = [.. await standIn.NetworkOf(Ns, replacement.Metadata.Name)!.ProcessesAsync()];
            Assert.NotEmpty(pids);
        }
        finally
        {
            await standIn.DisposeAsync();
        }

        Assert.DoesNotContain(pids, UnixProcess.IsAlive);
        Assert.Empty(await NamespacesAsync(prefix));
    }

    [Fact]
    public async Task StandIn_start_removes_the_namespaces_of_a_crashed_run_and_what_runs_in_them_but_not_a_live_runs()
    {
        // A crashed run: a process that named namespaces after itself, left something running in one, and died.
        var owner = Process.Start(new ProcessStartInfo("sleep", ["600"]))!;
        var stale = $"{NodeNetwork.NamePrefix}{owner.Id}.{UnixProcess.TryGetStartTime(owner.Id)}-1-1";
        var live = $"{NodeNetwork.NamePrefix}{Environment.ProcessId}.{UnixProcess.TryGetStartTime(Environment.ProcessId)}-999999-node";
        await HostCommand.IpAsync("netns", "add", stale);
        await HostCommand.IpAsync("netns", "add", live);
        using var left = Process.Start(new ProcessStartInfo(HostCommand.Find("nsenter"), [$"--net=/run/netns/{stale}", "sh", "-c", "echo inside; exec sleep 600"])
        {
            RedirectStandardOutput = true,
        })!;
        try
        {
            Assert.Equal("inside", await left.StandardOutput.ReadLineAsync());
            owner.Kill();
            await owner.WaitForExitAsync();

            await using var standIn = await KubernetesApiStandIn.StartAsync();

            var names = await NamespacesAsync(NodeNetwork.NamePrefix);
            Assert.DoesNotContain(stale, names);
            Assert.Contains(live, names);
            // Killed, not merely hidden: the namespace would live on while a process is in it.
            await left.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(left.HasExited);
        }
        finally
        {
            owner.Dispose();
            if (!left.HasExited)
            {
                left.Kill();
            }

            await HostCommand.RunAsync(HostCommand.Find("ip"), ["netns", "delete", stale]);
            await HostCommand.IpAsync("netns", "delete", live);
        }
    }

    [Fact]
    public async Task StandIn_a_grpc_readiness_probe_asks_the_pods_health_service_and_the_pod_is_Ready_once_it_answers_SERVING()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        standIn.SetImageBehaviour("shop/grpc:dev", ImageBehaviour.Executes("/bin/sh", ["-c"], ["exec sleep 600"]));
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        var deployment = StandInObjects.Deployment("grpc", "shop/grpc:dev", 1, port: 50051);
        deployment.Spec.Template.Spec.Containers[0].ReadinessProbe = new V1Probe { Grpc = new V1GRPCAction { Port = 50051 }, PeriodSeconds = 1 };
        await using var pods = new WatchedEvents<V1Pod>(token => client.CoreV1.WatchListNamespacedPodAsync(Ns, cancellationToken: token));
        await using var events = new WatchedEvents<Corev1Event>(token => client.CoreV1.WatchListNamespacedEventAsync(Ns, cancellationToken: token));
        await client.AppsV1.CreateNamespacedDeploymentAsync(deployment, Ns);
        var (_, running) = await pods.NextAsync((_, p) => Status(p)?.State?.Running is not null, "the container running");
        var (_, refused) = await events.NextAsync((_, e) => e.Reason == "Unhealthy", "a failed probe");
        Assert.StartsWith($"Readiness probe failed: failed to connect service \"{running.Status.PodIP}:50051\"", refused.Message);

        // The health service answers inside the pod: first NOT_SERVING, then SERVING.
        using var listening = await standIn.NetworkOf(Ns, running.Metadata.Name)!.ListenAsync(new IPEndPoint(IPAddress.Any, 50051));
        await using var health = await GrpcHealthServer.StartAsync(listening);
        await events.NextAsync((_, e) => e.Message == "Readiness probe failed: service unhealthy (responded with \"NOT_SERVING\")", "NOT_SERVING");
        Assert.False(PodStatusRules.IsReady(await client.CoreV1.ReadNamespacedPodAsync(running.Metadata.Name, Ns)));
        health.Status = 1;

        var (_, ready) = await pods.NextAsync((_, p) => PodStatusRules.IsReady(p), "the pod ready");
        Assert.True(Status(ready)!.Ready);
    }

    public void Dispose()
    {
        _variables.ForEach(v => Environment.SetEnvironmentVariable(v, null));
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>python3's http.server on port 8080 (its CMD), serving the test's folder.</summary>
    private ImageBehaviour HttpServer() => ImageBehaviour.Executes(RealPython.Path, ["-m", "http.server"], ["8080"], workingDirectory: _directory);

    /// <summary>A Deployment of <see cref="WebImage"/> whose pods are ready once port 8080 takes connections at the pod's IP.</summary>
    private static V1Deployment WebDeployment(string name)
    {
        var deployment = StandInObjects.Deployment(name, WebImage, 1);
        deployment.Spec.Template.Spec.Containers[0].ReadinessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = 8080 }, PeriodSeconds = 1 };
        return deployment;
    }

    private static V1Probe ConnectProbe(int port) => new()
    {
        Exec = new V1ExecAction { Command = [RealPython.Path, "-c", $"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=1)"] },
        PeriodSeconds = 1,
    };

    /// <summary>Creates the Deployment and returns its pod once it is ready.</summary>
    private static async Task<V1Pod> ReadyPodAsync(k8s.Kubernetes client, V1Deployment deployment)
    {
        var from = (await client.CoreV1.ListNamespacedPodAsync(Ns)).Metadata.ResourceVersion;
        await using var pods = new WatchedEvents<V1Pod>(token =>
            client.CoreV1.WatchListNamespacedPodAsync(Ns, labelSelector: $"app={deployment.Metadata.Name}", resourceVersion: from, cancellationToken: token));
        await client.AppsV1.CreateNamespacedDeploymentAsync(deployment, Ns);
        var (_, ready) = await pods.NextAsync((_, p) => PodStatusRules.IsReady(p), $"a pod of {deployment.Metadata.Name} ready");
        return ready;
    }

    /// <summary>One HTTP exchange with port <paramref name="port"/> of the pod through a real KubernetesClient port-forward.</summary>
    private static async Task<string> ForwardAsync(k8s.Kubernetes client, V1Pod pod, int port, string request)
    {
        using var socket = await client.WebSocketNamespacedPodPortForwardAsync(pod.Metadata.Name, Ns, [port], PortForwardEndpoint.SubProtocol);
        using var demuxer = new StreamDemuxer(socket, StreamType.PortForward);
        using var stream = demuxer.GetStream((byte?)0, (byte?)0);
        demuxer.Start();
        return await DemuxedStreams.ExchangeAsync(stream, request);
    }

    private static async Task<List<string>> NamespacesAsync(string prefix)
    {
        var list = await HostCommand.RunAsync(HostCommand.Find("ip"), ["netns", "list"]);
        return [.. list.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).Where(n => n.StartsWith(prefix, StringComparison.Ordinal))];
    }

    private static IEnumerable<IPAddress> HostAddresses() => NetworkInterface.GetAllNetworkInterfaces()
        .SelectMany(i => i.GetIPProperties().UnicastAddresses)
        .Select(a => a.Address)
        .Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));

    private static V1ContainerStatus? Status(V1Pod pod) => pod.Status?.ContainerStatuses?.SingleOrDefault();
}
