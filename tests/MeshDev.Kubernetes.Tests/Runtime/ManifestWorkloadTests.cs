using System.Collections.Immutable;
using MeshDev.Catalog;
using MeshDev.Kubernetes.Objects;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Tests.Runtime;

/// <summary>A service that points at the team's own manifest files: what is applied into the dev namespace, and what is refused.</summary>
public sealed class ManifestWorkloadTests : IDisposable
{
    private const string Manifest = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: orders
          namespace: shop
          labels: { app: orders }
        spec:
          replicas: 3
          selector:
            matchLabels: { app: orders }
            matchExpressions:
              - { key: tier, operator: In, values: [api, web] }
              - { key: legacy, operator: DoesNotExist }
          template:
            metadata:
              labels: { app: orders, tier: api }
            spec:
              containers:
                - name: orders
                  image: shop/orders:1.4
                  ports: [{ containerPort: 8080 }]
                  env:
                    - { name: PORT, value: "8080" }
                    - { name: VERBOSE, value: "yes" }
                  volumeMounts: [{ name: config, mountPath: /config }]
              volumes:
                - name: config
                  configMap: { name: orders-config, defaultMode: 0644 }
        ---
        apiVersion: v1
        kind: Service
        metadata: { name: orders }
        spec:
          selector: { app: orders }
          ports: [{ port: 80, targetPort: 8080 }]
        ---
        # an empty document is skipped
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: { name: orders-config }
        data:
          retries: "3"
          enabled: "true"
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("meshdev-k8s-").FullName;
    private readonly List<string> _log = [];

    private ServiceSpec Service(string yaml, string? deployment = null)
    {
        Directory.CreateDirectory(Path.Combine(_directory, "k8s"));
        var file = Path.Combine(_directory, "k8s", "orders.yaml");
        File.WriteAllText(file, yaml);
        return new ServiceSpec
        {
            Name = "orders",
            Runtime = RuntimeKind.Kubernetes,
            WorkingDir = _directory,
            Port = 8080,
            Kubernetes = new KubernetesSpec { Manifests = ImmutableArray.Create(file), Deployment = deployment },
        };
    }

    private Workload Load(ServiceSpec service) =>
        ManifestWorkload.For(service, "meshdev-alice", "alice", "0123456789ab", Path.Combine(_directory, "meshdev.yaml"), _log.Add);

    [Fact]
    public void Every_object_goes_into_the_dev_namespace_with_the_labels_and_the_Deployment_is_applied_last_with_one_replica()
    {
        var workload = Load(Service(Manifest));

        Assert.Equal(["ConfigMap", "Service", "Deployment"], workload.Objects.Select(o => o.Kind));
        foreach (var item in workload.Objects)
        {
            var metadata = item.Body["metadata"]!;
            Assert.Equal("meshdev-alice", metadata["namespace"]!.GetValue<string>());
            Assert.Equal("alice", metadata["labels"]![MeshLabels.Owner]!.GetValue<string>());
            Assert.Equal("0123456789ab", metadata["labels"]![MeshLabels.Mesh]!.GetValue<string>());
            Assert.Equal("orders", metadata["labels"]![MeshLabels.Service]!.GetValue<string>());
        }

        var deployment = workload.Objects[^1].Body;
        Assert.Equal(1, deployment["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal("orders", deployment["metadata"]!["labels"]!["app"]!.GetValue<string>());
        var podLabels = deployment["spec"]!["template"]!["metadata"]!["labels"]!;
        Assert.Equal("api", podLabels["tier"]!.GetValue<string>());
        Assert.Equal(workload.ConfigHash, podLabels[MeshLabels.Config]!.GetValue<string>());
        Assert.Equal("alice", podLabels[MeshLabels.Owner]!.GetValue<string>());
        Assert.Equal(["meshdev: k8s/orders.yaml (document 1): Deployment orders goes into the dev namespace meshdev-alice, not 'shop' as the file says"], _log);
    }

    [Fact]
    public void The_pods_are_selected_by_the_Deployments_own_selector_and_the_current_configuration()
    {
        var workload = Load(Service(Manifest));

        Assert.Equal($"app=orders,tier in (api,web),!legacy,{MeshLabels.Config}={workload.ConfigHash}", workload.PodSelector);
        Assert.Equal("orders", workload.Deployment);
        Assert.Equal(8080, workload.PodPort);
        Assert.Contains("k8s/orders.yaml", workload.RootImageHint);
    }

    [Fact]
    public void Yaml_values_keep_the_types_kubectl_gives_them()
    {
        var workload = Load(Service(Manifest));
        var deployment = workload.Objects[^1].Body;
        var container = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;

        Assert.Equal("8080", container["env"]![0]!["value"]!.GetValue<string>());
        Assert.Equal("yes", container["env"]![1]!["value"]!.GetValue<string>());
        Assert.Equal(8080L, container["ports"]![0]!["containerPort"]!.GetValue<long>());
        Assert.Equal(420L, deployment["spec"]!["template"]!["spec"]!["volumes"]![0]!["configMap"]!["defaultMode"]!.GetValue<long>());
        Assert.Equal("true", workload.Objects[0].Body["data"]!["enabled"]!.GetValue<string>());
    }

    [Fact]
    public void What_the_server_allocated_to_an_exported_Service_is_left_out_but_a_headless_Service_stays_headless()
    {
        const string Exported = """
            ---
            apiVersion: v1
            kind: Service
            metadata: { name: orders-node, resourceVersion: "8812", uid: 6f1c }
            spec:
              type: NodePort
              clusterIP: 10.96.44.7
              clusterIPs: [10.96.44.7]
              externalTrafficPolicy: Local
              healthCheckNodePort: 31999
              selector: { app: orders }
              ports: [{ name: http, port: 80, targetPort: 8080, nodePort: 30080 }]
            status: { loadBalancer: {} }
            ---
            apiVersion: v1
            kind: Service
            metadata: { name: orders-peers }
            spec:
              clusterIP: None
              clusterIPs: [None]
              selector: { app: orders }
              ports: [{ port: 7000 }]
            """;

        var services = Load(Service(Manifest + "\n" + Exported)).Objects.Where(o => o.Kind == "Service").ToDictionary(o => o.Name, o => o.Body["spec"]!.AsObject());

        var nodePort = services["orders-node"];
        Assert.Equal(["type", "externalTrafficPolicy", "selector", "ports"], nodePort.Select(p => p.Key));
        Assert.Equal(["name", "port", "targetPort"], nodePort["ports"]![0]!.AsObject().Select(p => p.Key));
        var headless = services["orders-peers"];
        Assert.Equal("None", headless["clusterIP"]!.GetValue<string>());
        Assert.Equal("None", headless["clusterIPs"]![0]!.GetValue<string>());
        Assert.False(services["orders"].ContainsKey("clusterIP"));
    }

    [Fact]
    public void The_hash_changes_when_a_file_changes()
    {
        var first = Load(Service(Manifest)).ConfigHash;
        var second = Load(Service(Manifest.Replace("shop/orders:1.4", "shop/orders:1.5", StringComparison.Ordinal))).ConfigHash;

        Assert.NotEqual(first, second);
        Assert.Equal(second, Load(Service(Manifest.Replace("shop/orders:1.4", "shop/orders:1.5", StringComparison.Ordinal))).ConfigHash);
    }

    [Fact]
    public void A_missing_Deployment_names_the_files_and_the_setting()
    {
        var error = Assert.Throws<LaunchException>(() => Load(Service(Manifest, deployment: "billing")));

        Assert.Equal("none of the manifests of service 'orders' (k8s/orders.yaml) has an apps/v1 Deployment named 'billing'; set 'deployment' to the one MeshDev should scale", error.Message);
    }

    [Fact]
    public void A_cluster_wide_object_is_refused()
    {
        var error = Assert.Throws<LaunchException>(() => Load(Service(Manifest + "\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: { name: reader }\n")));

        Assert.Equal("k8s/orders.yaml (document 5): ClusterRole 'reader' is cluster-wide; MeshDev applies only namespaced objects, into your dev namespace meshdev-alice: apply it yourself (or ask an admin)", error.Message);
    }

    [Fact]
    public void Invalid_yaml_names_the_file_and_line()
    {
        var error = Assert.Throws<LaunchException>(() => Load(Service("apiVersion: v1\nkind: [unclosed\n")));

        Assert.StartsWith("k8s/orders.yaml:", error.Message);
        Assert.Contains("not valid YAML", error.Message);
    }

    [Fact]
    public void An_object_without_a_name_is_refused()
    {
        var error = Assert.Throws<LaunchException>(() => Load(Service("apiVersion: v1\nkind: ConfigMap\nmetadata: { generateName: x- }\n")));

        Assert.Equal("k8s/orders.yaml (document 1): ConfigMap has no metadata.name (generateName cannot be applied)", error.Message);
    }

    [Fact]
    public void The_kinds_of_the_manifests_are_found_for_down_purge()
    {
        Assert.Equal([("apps/v1", "Deployment"), ("v1", "Service"), ("v1", "ConfigMap")], ManifestWorkload.KindsOf(Service(Manifest)));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
