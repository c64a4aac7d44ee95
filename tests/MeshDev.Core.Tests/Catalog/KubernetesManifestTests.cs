using MeshDev.Catalog;

namespace MeshDev.Core.Tests.Catalog;

/// <summary><c>runtime: kubernetes</c> services in the manifest.</summary>
public sealed class KubernetesManifestTests : IDisposable
{
    private readonly string _directory;
    private readonly string _manifestPath;

    public KubernetesManifestTests()
    {
        _directory = Path.Combine(Path.GetTempPath(), "meshdev-k8s-manifest-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(_directory, "k8s"));
        File.WriteAllText(Path.Combine(_directory, "k8s", "orders.yaml"), "apiVersion: apps/v1\nkind: Deployment\n");
        _manifestPath = Path.Combine(_directory, "meshdev.yaml");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Generated_and_own_manifest_services_parse()
    {
        const string Yaml = """
            services:
              inventory:
                runtime: kubernetes
                image: ghcr.io/acme/inventory:1.4
                context: dev-cluster
                namespace: meshdev-alice
                port: 8080
                args: [--verbose]
                runAsNonRoot: false
                ready: { http: /healthz }
              orders:
                runtime: kubernetes
                manifests: [k8s/orders.yaml]
                deployment: orders-api
                port: 80
                ready: { exec: [cat, /tmp/ready] }
            """;

        var manifest = ManifestLoader.Parse(Yaml, _manifestPath);

        var inventory = manifest.Find("inventory")!;
        Assert.Equal(RuntimeKind.Kubernetes, inventory.Runtime);
        Assert.False(inventory.ListensOnHost);
        Assert.Equal(8080, inventory.Port);
        Assert.Null(inventory.Container);
        var k = inventory.Kubernetes!;
        Assert.Equal("ghcr.io/acme/inventory:1.4", k.Image);
        Assert.Equal("dev-cluster", k.Context);
        Assert.Equal("meshdev-alice", k.Namespace);
        Assert.Empty(k.Manifests);
        Assert.False(k.RunAsNonRoot);
        Assert.Equal(ReadyKind.Http, inventory.Ready.Kind);

        var orders = manifest.Find("orders")!;
        Assert.Null(orders.Kubernetes!.Image);
        Assert.Equal([Path.Combine(_directory, "k8s", "orders.yaml")], orders.Kubernetes.Manifests.ToArray());
        Assert.Equal("orders-api", orders.Kubernetes.Deployment);
        Assert.Null(orders.Kubernetes.Namespace);
        Assert.True(orders.Kubernetes.RunAsNonRoot);
        Assert.Equal(ReadyKind.Exec, orders.Ready.Kind);
    }

    [Fact]
    public void A_pods_port_does_not_clash_with_ports_on_the_host()
    {
        const string Yaml = """
            services:
              inventory:
                runtime: kubernetes
                image: inventory:1
                port: 8080
              legacy:
                command: ./legacy
                port: 8080
            """;

        Assert.Equal(2, ManifestLoader.Parse(Yaml, _manifestPath).Services.Length);
    }

    private const string K8s = "services:\n  web:\n    runtime: kubernetes\n";

    public static TheoryData<string, string[]> BadServices => new()
    {
        {
            K8s + "    image: web:1\n",
            ["2:3: service 'web' has runtime kubernetes and needs 'port': the port the app listens on in its pod"]
        },
        {
            K8s + "    image: web:1\n    port: auto\n",
            ["5:11: 'port' of service 'web' must be the number the app listens on in its pod (1 to 65535)"]
        },
        {
            K8s + "    image: web:1\n    manifests: [k8s/orders.yaml]\n    port: 80\n",
            ["5:5: service 'web' has both 'image' and 'manifests'; keep one (the image of your own manifests is set in them)"]
        },
        {
            K8s + "    manifests: [k8s/missing.yaml]\n    port: 80\n",
            ["4:17: manifest file 'k8s/missing.yaml' of service 'web' does not exist: {dir}/k8s/missing.yaml"]
        },
        {
            K8s + "    image: web:1\n    deployment: web\n    port: 80\n",
            ["5:5: 'deployment' of service 'web' names a Deployment of your 'manifests'; without them MeshDev generates one named after the service"]
        },
        {
            K8s + "    image: web:1\n    namespace: Dev_Alice\n    port: 80\n",
            ["5:16: 'namespace' of service 'web' must be a namespace name: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters"]
        },
        {
            K8s + "    image: web:1\n    port: 80\n    network: host\n",
            ["6:5: 'network' of service 'web' is only for runtime docker"]
        },
        {
            "services:\n  web:\n    runtime: docker\n    image: web:1\n    namespace: dev\n",
            ["5:5: 'namespace' of service 'web' is only for runtime kubernetes"]
        },
        {
            K8s + "    image: web:1\n    port: 80\n    runAsNonRoot: maybe\n",
            ["6:19: 'runAsNonRoot' of service 'web' must be true or false"]
        },
        {
            "services:\n  web:\n    command: ./web\n  2fa:\n    runtime: kubernetes\n    image: auth/2fa:1\n    port: 80\n",
            ["4:3: service '2fa' runs in Kubernetes, whose Service names must start with a letter, and MeshDev names its Service after the service: rename it to start with a letter, or give it your own 'manifests'"]
        },
    };

    [Fact]
    public void A_service_name_starting_with_a_digit_is_fine_with_the_teams_own_manifests_and_outside_Kubernetes()
    {
        const string Yaml = """
            services:
              2fa:
                runtime: kubernetes
                manifests: [k8s/orders.yaml]
                deployment: auth-2fa
                port: 80
              3ds:
                command: ./3ds
            """;

        var manifest = ManifestLoader.Parse(Yaml, _manifestPath);

        Assert.Equal(["2fa", "3ds"], manifest.Services.Select(s => s.Name));
    }

    [Theory]
    [MemberData(nameof(BadServices))]
    public void Bad_kubernetes_settings_are_reported_with_line_and_column(string yaml, string[] expected)
    {
        var error = Assert.Throws<ManifestException>(() => ManifestLoader.Parse(yaml, _manifestPath));

        Assert.Equal(expected.Select(e => $"{_manifestPath}:{e.Replace("{dir}", _directory, StringComparison.Ordinal)}"), error.Errors.Select(e => e.ToString()));
    }
}
