using System.Collections.Immutable;
using System.Text.Json.Nodes;
using MeshDev.Catalog;
using MeshDev.Kubernetes.Objects;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Tests.Runtime;

/// <summary>The Deployment and Service MeshDev generates from a service's settings: labels, pod security, probe, environment.</summary>
public sealed class GeneratedWorkloadTests
{
    private const string MeshId = "0123456789ab";

    internal static ServiceSpec Service(Func<KubernetesSpec, KubernetesSpec>? kubernetes = null, ReadyProbeSpec? ready = null, string? command = null) => new()
    {
        Name = "orders",
        Runtime = RuntimeKind.Kubernetes,
        WorkingDir = "/src/shop",
        Port = 8080,
        Command = command,
        Args = ["--listen", "0.0.0.0:${PORT}"],
        Env = ImmutableDictionary<string, string>.Empty.Add("URL", "http://0.0.0.0:${PORT}/x"),
        Ready = ready ?? ReadyProbeSpec.Tcp,
        StopGracePeriod = TimeSpan.FromSeconds(3),
        Kubernetes = (kubernetes ?? (k => k))(new KubernetesSpec { Image = "shop/orders:dev" }),
    };

    private static Workload Generate(ServiceSpec service) =>
        GeneratedWorkload.For(
            new LaunchRequest(service, 8080, new Dictionary<string, string> { ["MESHDEV_SERVICE"] = "orders", ["services__db__http__0"] = "http://127.0.0.1:15101" }, new ServiceLog("orders", null)),
            "meshdev-alice", "alice", MeshId, "/src/shop/meshdev.yaml");

    private static JsonObject Deployment(Workload workload) => workload.Objects.Single(o => o.Kind == "Deployment").Body;

    private static JsonObject Container(Workload workload) => Deployment(workload)["spec"]!["template"]!["spec"]!["containers"]![0]!.AsObject();

    [Fact]
    public void Everything_generated_carries_the_owner_mesh_and_service_labels_and_the_Deployment_asks_for_one_replica()
    {
        var workload = Generate(Service());

        Assert.Equal(["Service", "Deployment"], workload.Objects.Select(o => o.Kind));
        foreach (var item in workload.Objects)
        {
            var labels = item.Body["metadata"]!["labels"]!;
            Assert.Equal("alice", labels[MeshLabels.Owner]!.GetValue<string>());
            Assert.Equal(MeshId, labels[MeshLabels.Mesh]!.GetValue<string>());
            Assert.Equal("orders", labels[MeshLabels.Service]!.GetValue<string>());
            Assert.Equal(workload.ConfigHash, labels[MeshLabels.Config]!.GetValue<string>());
            Assert.Equal("meshdev-alice", item.Body["metadata"]!["namespace"]!.GetValue<string>());
            Assert.Equal("/src/shop/meshdev.yaml", item.Body["metadata"]!["annotations"]![MeshLabels.ManifestAnnotation]!.GetValue<string>());
        }

        var deployment = Deployment(workload);
        Assert.Equal(1, deployment["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal("Recreate", deployment["spec"]!["strategy"]!["type"]!.GetValue<string>());
        var selector = deployment["spec"]!["selector"]!["matchLabels"]!.AsObject();
        Assert.Equal([MeshLabels.Mesh, MeshLabels.Service], selector.Select(p => p.Key).Order());
        var podLabels = deployment["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();
        Assert.Equal("alice", podLabels[MeshLabels.Owner]!.GetValue<string>());
        Assert.Equal(workload.ConfigHash, podLabels[MeshLabels.Config]!.GetValue<string>());
        Assert.Equal($"{MeshLabels.Mesh}={MeshId},{MeshLabels.Service}=orders,{MeshLabels.Config}={workload.ConfigHash}", workload.PodSelector);
        Assert.Equal("orders", workload.Deployment);
        Assert.Equal(8080, workload.PodPort);
    }

    [Fact]
    public void Generated_pods_get_the_restricted_security_settings_and_no_service_account_token()
    {
        var workload = Generate(Service());
        var pod = Deployment(workload)["spec"]!["template"]!["spec"]!;
        var container = Container(workload);

        Assert.False(pod["automountServiceAccountToken"]!.GetValue<bool>());
        Assert.Equal("RuntimeDefault", pod["securityContext"]!["seccompProfile"]!["type"]!.GetValue<string>());
        Assert.True(pod["securityContext"]!["runAsNonRoot"]!.GetValue<bool>());
        Assert.Equal(3, pod["terminationGracePeriodSeconds"]!.GetValue<long>());
        var security = container["securityContext"]!;
        Assert.False(security["allowPrivilegeEscalation"]!.GetValue<bool>());
        Assert.Equal(["ALL"], security["capabilities"]!["drop"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal("RuntimeDefault", security["seccompProfile"]!["type"]!.GetValue<string>());
        Assert.True(security["runAsNonRoot"]!.GetValue<bool>());
        Assert.Null(security["privileged"]);
    }

    [Fact]
    public void RunAsNonRoot_false_lets_a_root_image_run_and_keeps_every_other_restriction()
    {
        var workload = Generate(Service(k => k with { RunAsNonRoot = false }));
        var pod = Deployment(workload)["spec"]!["template"]!["spec"]!;
        var security = Container(workload)["securityContext"]!;

        Assert.Null(pod["securityContext"]!["runAsNonRoot"]);
        Assert.Null(security["runAsNonRoot"]);
        Assert.False(security["allowPrivilegeEscalation"]!.GetValue<bool>());
        Assert.Equal("RuntimeDefault", pod["securityContext"]!["seccompProfile"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public void The_container_gets_the_manifests_command_args_port_and_environment_but_no_loopback_discovery_addresses()
    {
        var container = Container(Generate(Service(k => k with { WorkingDir = "/app" }, command: "/bin/orders")));

        Assert.Equal("shop/orders:dev", container["image"]!.GetValue<string>());
        Assert.Equal(["/bin/orders"], container["command"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal(["--listen", "0.0.0.0:8080"], container["args"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal("/app", container["workingDir"]!.GetValue<string>());
        Assert.Equal(8080, container["ports"]![0]!["containerPort"]!.GetValue<int>());
        var env = container["env"]!.AsArray().ToDictionary(e => e!["name"]!.GetValue<string>(), e => e!["value"]!.GetValue<string>());
        Assert.Equal(new Dictionary<string, string> { ["MESHDEV_SERVICE"] = "orders", ["PORT"] = "8080", ["URL"] = "http://0.0.0.0:8080/x" }, env);
    }

    [Fact]
    public void Without_a_command_the_images_entrypoint_is_kept()
    {
        Assert.Null(Container(Generate(Service()))["command"]);
    }

    [Theory]
    [InlineData("http", """{"httpGet":{"path":"/healthz","port":8080},"periodSeconds":1,"timeoutSeconds":1,"failureThreshold":3}""")]
    [InlineData("grpc", """{"grpc":{"port":8080,"service":"shop.Orders"},"periodSeconds":1,"timeoutSeconds":1,"failureThreshold":3}""")]
    [InlineData("exec", """{"exec":{"command":["pg_isready","-q"]},"periodSeconds":1,"timeoutSeconds":1,"failureThreshold":3}""")]
    [InlineData("tcp", """{"tcpSocket":{"port":8080},"periodSeconds":1,"timeoutSeconds":1,"failureThreshold":3}""")]
    public void The_ready_probe_becomes_a_readinessProbe_checked_every_second(string kind, string expected)
    {
        var ready = kind switch
        {
            "http" => new ReadyProbeSpec(ReadyKind.Http, HttpPath: "/healthz"),
            "grpc" => new ReadyProbeSpec(ReadyKind.Grpc, GrpcService: "shop.Orders"),
            "exec" => ReadyProbeSpec.Exec(["pg_isready", "-q"]),
            _ => ReadyProbeSpec.Tcp,
        };

        Assert.Equal(expected, Container(Generate(Service(ready: ready)))["readinessProbe"]!.ToJsonString());
    }

    [Fact]
    public void The_config_hash_follows_the_settings_and_nothing_else()
    {
        var first = Generate(Service()).ConfigHash;

        Assert.Equal(first, Generate(Service()).ConfigHash);
        Assert.NotEqual(first, Generate(Service(k => k with { Image = "shop/orders:dev2" })).ConfigHash);
        Assert.NotEqual(first, Generate(Service(ready: new ReadyProbeSpec(ReadyKind.Http, HttpPath: "/"))).ConfigHash);
    }

    [Fact]
    public void The_Service_selects_the_same_pods_on_the_same_port()
    {
        var workload = Generate(Service());
        var service = workload.Objects.Single(o => o.Kind == "Service").Body;

        Assert.Equal(
            Deployment(workload)["spec"]!["selector"]!["matchLabels"]!.ToJsonString(),
            service["spec"]!["selector"]!.ToJsonString());
        Assert.Equal(8080, service["spec"]!["ports"]![0]!["targetPort"]!.GetValue<int>());
    }

    [Fact]
    public void With_the_gateway_the_pod_gets_a_restricted_native_sidecar_and_the_discovery_variables_unchanged()
    {
        var gateway = new GatewaySidecar("meshdev/gateway:abc", 15010, new Dictionary<int, string> { [15101] = "db", [15000] = "*" });
        var workload = GeneratedWorkload.For(
            new LaunchRequest(Service(), 8080, new Dictionary<string, string> { ["MESHDEV_SERVICE"] = "orders", ["services__db__http__0"] = "http://127.0.0.1:15101", ["DB_HTTP"] = "http://127.0.0.1:15101" }, new ServiceLog("orders", null)),
            "meshdev-alice", "alice", MeshId, "/src/shop/meshdev.yaml", gateway);

        Assert.True(workload.HasGateway);
        var podSpec = Deployment(workload)["spec"]!["template"]!["spec"]!.AsObject();
        var sidecar = podSpec["initContainers"]!.AsArray().Single()!.AsObject();
        Assert.Equal(GatewaySidecar.ContainerName, sidecar["name"]!.GetValue<string>());
        Assert.Equal("meshdev/gateway:abc", sidecar["image"]!.GetValue<string>());
        Assert.Equal("Always", sidecar["restartPolicy"]!.GetValue<string>());
        // The app waits for the gateway's ports through its postStart hook, run inside the pod; no probe from the node.
        Assert.Equal(["/meshdev-gateway", "--wait-listening"], sidecar["lifecycle"]!["postStart"]!["exec"]!["command"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal(MeshDev.Docker.GatewayImage.Entrypoint, GatewaySidecar.Binary);
        Assert.Null(sidecar["startupProbe"]);
        var env = sidecar["env"]!.AsArray().ToDictionary(e => e!["name"]!.GetValue<string>(), e => e!["value"]!.GetValue<string>());
        Assert.Equal("15000=*,15101=db", env["MESHDEV_GATEWAY_PORTS"]);
        Assert.Equal("15010", env["MESHDEV_GATEWAY_LINK_PORT"]);
        Assert.Equal("orders", env["MESHDEV_SERVICE"]);

        // The restricted Pod Security profile, for the sidecar as for the app.
        var security = sidecar["securityContext"]!.AsObject();
        Assert.False(security["allowPrivilegeEscalation"]!.GetValue<bool>());
        Assert.Equal(["ALL"], security["capabilities"]!["drop"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal("RuntimeDefault", security["seccompProfile"]!["type"]!.GetValue<string>());
        Assert.True(security["runAsNonRoot"]!.GetValue<bool>());
        Assert.NotEqual(0, security["runAsUser"]!.GetValue<long>());
        Assert.Equal("RuntimeDefault", podSpec["securityContext"]!["seccompProfile"]!["type"]!.GetValue<string>());

        // The app sees the laptop's discovery variables, byte for byte: the gateway serves them on the pod's 127.0.0.1.
        var appEnv = Container(workload)["env"]!.AsArray().ToDictionary(e => e!["name"]!.GetValue<string>(), e => e!["value"]!.GetValue<string>());
        Assert.Equal("http://127.0.0.1:15101", appEnv["services__db__http__0"]);
        Assert.Equal("http://127.0.0.1:15101", appEnv["DB_HTTP"]);
        Assert.NotEqual(Generate(Service()).ConfigHash, workload.ConfigHash);
    }

    [Fact]
    public void A_mesh_port_below_1024_lets_the_gateway_bind_it_through_the_pods_unprivileged_port_sysctl()
    {
        var low = new GatewaySidecar("meshdev/gateway:abc", 15010, new Dictionary<int, string> { [80] = "web", [15000] = "*" });
        var high = new GatewaySidecar("meshdev/gateway:abc", 15010, new Dictionary<int, string> { [15101] = "db" });

        var sysctls = PodSpec(low)["securityContext"]!["sysctls"]!.AsArray();

        var sysctl = Assert.Single(sysctls)!;
        Assert.Equal("net.ipv4.ip_unprivileged_port_start", sysctl["name"]!.GetValue<string>());
        Assert.Equal("80", sysctl["value"]!.GetValue<string>());
        Assert.Null(PodSpec(high)["securityContext"]!["sysctls"]);
    }

    [Fact]
    public void A_pods_own_unprivileged_port_sysctl_is_lowered_to_the_gateways_lowest_port_and_never_raised()
    {
        var gateway = new GatewaySidecar("meshdev/gateway:abc", 15010, new Dictionary<int, string> { [443] = "web" });
        static JsonObject PodWith(string value) => new()
        {
            ["containers"] = new JsonArray(),
            ["securityContext"] = new JsonObject { ["sysctls"] = new JsonArray(new JsonObject { ["name"] = "net.ipv4.ip_unprivileged_port_start", ["value"] = value }) },
        };
        var (higher, lower) = (PodWith("1000"), PodWith("22"));

        gateway.AddTo(higher, "web");
        gateway.AddTo(lower, "web");

        Assert.Equal("443", Assert.Single(higher["securityContext"]!["sysctls"]!.AsArray())!["value"]!.ToString());
        Assert.Equal("22", Assert.Single(lower["securityContext"]!["sysctls"]!.AsArray())!["value"]!.ToString());
        Assert.Equal(GatewaySidecar.ContainerName, Assert.Single(lower["initContainers"]!.AsArray())!["name"]!.GetValue<string>());
    }

    private static JsonObject PodSpec(GatewaySidecar gateway) =>
        Deployment(GeneratedWorkload.For(
            new LaunchRequest(Service(), 8080, new Dictionary<string, string>(), new ServiceLog("web", null)),
            "meshdev-alice", "alice", MeshId, "/src/shop/meshdev.yaml", gateway))["spec"]!["template"]!["spec"]!.AsObject();
}
