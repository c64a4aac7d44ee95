using System.Net;
using System.Net.Sockets;
using MeshDev.Activation;
using MeshDev.Calls;
using MeshDev.Catalog;
using MeshDev.Daemon.Hosting;
using MeshDev.Daemon.State;
using k8s;
using MeshDev.Kubernetes.Cluster;
using MeshDev.Kubernetes.Objects;
using MeshDev.Kubernetes.Tests.ApiServer;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Tests.Mesh;

/// <summary>
/// A whole mesh on the laptop with services in the dev namespace of the API-server stand-in (no real API server can run
/// here): the stand-in's kubelet runs each pod's real processes — the app (MeshDev.TestService) and the mesh's gateway
/// sidecar (meshdev-gateway) — in the pod's own network namespace, so a pod reaches the laptop only through the link
/// the laptop opens. Laptop services are real child processes of the mesh.
/// </summary>
internal sealed class ClusterMesh : IAsyncDisposable
{
    public const string AppImage = "shop/testservice:dev";
    public const string GatewayImage = "meshdev/gateway:standin";

    private readonly string _directory;

    private ClusterMesh(KubernetesApiStandIn apiServer, string directory, MeshHost host, IReadOnlyDictionary<string, int> meshPorts)
    {
        ApiServer = apiServer;
        _directory = directory;
        Host = host;
        MeshPorts = meshPorts;
    }

    public KubernetesApiStandIn ApiServer { get; }

    public MeshHost Host { get; }

    public IReadOnlyDictionary<string, int> MeshPorts { get; }

    public static HttpClient Http { get; } = new(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(90) };

    /// <summary>
    /// Starts the stand-in and a mesh for <paramref name="services"/>: name → <c>process</c> (a TestService on the laptop),
    /// <c>grpc</c> (a GrpcTestService on the laptop), <c>kubernetes</c> (a TestService pod), or <c>external</c> (a fixed port the test serves itself, as an IDE-run service).
    /// </summary>
    public static async Task<ClusterMesh> StartAsync(IReadOnlyDictionary<string, string> services, IReadOnlyDictionary<string, int>? externalPorts = null)
    {
        var apiServer = await KubernetesApiStandIn.StartAsync(userName: "alice");
        var directory = Directory.CreateTempSubdirectory("meshdev-cluster-mesh-").FullName;
        try
        {
            apiServer.SetImageBehaviour(AppImage, ImageBehaviour.Executes("dotnet", [TestPrograms.TestServiceDll]));
            apiServer.SetImageBehaviour(GatewayImage, ImageBehaviour.Executes("dotnet", [TestPrograms.GatewayDll]));
            var meshPorts = services.Keys.ToDictionary(s => s, _ => FreePort());
            var manifestPath = Path.Combine(directory, "meshdev.yaml");
            File.WriteAllText(manifestPath, Manifest(services, meshPorts, externalPorts ?? new Dictionary<string, int>()));
            var manifest = ManifestLoader.Load(manifestPath);
            var state = StateDirectory.For(manifest);
            var calls = new ClusterCalls();
            var kubernetes = new KubernetesRuntime(new KubernetesRuntimeOptions
            {
                MeshId = MeshIdentity.For(state.Root),
                ManifestPath = manifestPath,
                Owner = "alice",
                KubeConfig = KubeConfigSource.FromFile(apiServer.WriteKubeconfig(Path.Combine(directory, "kubeconfig"))),
                Gateway = MeshHost.GatewayFor(manifest) with { Image = GatewayImage },
                Calls = calls,
            });
            var host = await MeshHost.StartAsync(manifest, new MeshHostOptions
            {
                Prebuild = false,
                Runtimes = [new ProcessRuntime(state.Root), kubernetes],
                ClusterCalls = calls,
            });
            return new ClusterMesh(apiServer, directory, host, meshPorts) { _kubernetes = kubernetes };
        }
        catch
        {
            await apiServer.DisposeAsync();
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    private KubernetesRuntime? _kubernetes;

    public KubernetesRuntime Kubernetes => _kubernetes!;

    public ServiceActivator Service(string name) => Host.Activator.Find(name)!;

    public MeshDev.Daemon.Control.ServiceStatus Status(string name) => Host.GetStatus().Services.Single(s => s.Name == name);

    /// <summary>The name of the pod the service's Deployment runs now.</summary>
    public string PodOf(string service)
    {
        using var client = ApiServer.CreateClient();
        return client.CoreV1.ListNamespacedPod("meshdev-alice", labelSelector: $"{MeshLabels.Service}={service}").Items
            .Single(p => p.Metadata.DeletionTimestamp is null).Metadata.Name;
    }

    public Uri Url(string service, string path = "/") => new($"http://127.0.0.1:{MeshPorts[service]}{path}");

    /// <summary>Everything the mesh logged for <paramref name="service"/>, for failure messages.</summary>
    public string LogOf(string service) => string.Join("\n", Service(service).Log.Tail(80));

    private static string Manifest(IReadOnlyDictionary<string, string> services, IReadOnlyDictionary<string, int> meshPorts, IReadOnlyDictionary<string, int> externalPorts)
    {
        var yaml = new System.Text.StringBuilder();
        yaml.AppendLine($"mesh: {{ http: {FreePort()}, xds: {FreePort()} }}");
        yaml.AppendLine("services:");
        foreach (var (name, kind) in services)
        {
            yaml.AppendLine($"  {name}:");
            yaml.AppendLine($"    meshPort: {meshPorts[name]}");
            switch (kind)
            {
                case "process":
                    yaml.AppendLine($"    command: dotnet");
                    yaml.AppendLine($"    args: [\"{TestPrograms.TestServiceDll}\"]");
                    yaml.AppendLine($"    env: {{ MESHDEV_TEST_NAME: {name} }}");
                    yaml.AppendLine("    ready: { http: /healthz }");
                    break;
                case "grpc":
                    yaml.AppendLine($"    command: dotnet");
                    yaml.AppendLine($"    args: [\"{TestPrograms.GrpcTestServiceDll}\"]");
                    yaml.AppendLine("    ready: { grpc: true }");
                    break;
                case "kubernetes":
                    yaml.AppendLine("    runtime: kubernetes");
                    yaml.AppendLine($"    image: {AppImage}");
                    yaml.AppendLine("    port: 8080");
                    yaml.AppendLine($"    env: {{ MESHDEV_TEST_NAME: {name}, MESHDEV_TEST_LISTEN: 0.0.0.0 }}");
                    yaml.AppendLine("    ready: { http: /healthz }");
                    break;
                case "external":
                    // Run by the developer (an IDE) on its fixed port: the mesh adopts it as external, never launches it.
                    yaml.AppendLine($"    command: dotnet");
                    yaml.AppendLine($"    args: [\"{TestPrograms.TestServiceDll}\"]");
                    yaml.AppendLine($"    port: {externalPorts[name]}");
                    break;
                default:
                    throw new ArgumentException($"unknown kind '{kind}'", nameof(services));
            }
        }

        return yaml.ToString();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        if (_kubernetes is not null)
        {
            await _kubernetes.DisposeAsync();
        }

        await ApiServer.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>The programs a stand-in pod runs, from the build output of this repository.</summary>
internal static class TestPrograms
{
    public static string TestServiceDll => Sibling("tests", "MeshDev.TestService", "MeshDev.TestService.dll");

    public static string GrpcTestServiceDll => Sibling("tests", "MeshDev.GrpcTestService", "MeshDev.GrpcTestService.dll");

    /// <summary><c>tests/js/echo-client.js</c>: a gRPC client that is not .NET (@grpc/grpc-js).</summary>
    public static string EchoClientJs => Path.Combine(Root, "tests", "js", "echo-client.js");

    public static string GatewayDll => Sibling("src", "MeshDev.Gateway", "meshdev-gateway.dll");

    /// <summary>The checkout: the first folder above the output that holds MeshDev.sln (devtools/bench's cluster bench runs this from a deeper output folder).</summary>
    private static string Root
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "MeshDev.sln")))
                {
                    return directory.FullName;
                }
            }

            throw new DirectoryNotFoundException($"no MeshDev.sln above {AppContext.BaseDirectory}");
        }
    }

    private static string Sibling(string top, string project, string file)
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = output.Name;
        var configuration = output.Parent!.Name;
        var path = Path.Combine(Root, top, project, "bin", configuration, framework, file);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{file} not found at {path}; build tests/MeshDev.Kubernetes.Tests (it builds it alongside)", path);
    }
}
