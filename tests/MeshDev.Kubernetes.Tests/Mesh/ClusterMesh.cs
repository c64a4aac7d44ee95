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
using MeshDev.Testing;

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
    /// <c>grpc</c> (a GrpcTestService on the laptop), <c>crashing</c> (a laptop process that exits with code 3 at start), <c>kubernetes</c> (a TestService pod), <c>team-manifest</c> (the same from the team's own Deployment file), <c>container</c> (<paramref name="containerImage"/> on the laptop's engine), or <c>external</c> (a fixed port the test serves itself, as an IDE-run service).
    /// </summary>
    /// <param name="extra">More manifest lines per service (e.g. <c>idleTimeout: 2s</c>).</param>
    /// <param name="prepare">What an admin does to the cluster before the developer's mesh starts.</param>
    public static async Task<ClusterMesh> StartAsync(
        IReadOnlyDictionary<string, string> services, IReadOnlyDictionary<string, int>? externalPorts = null, IReadOnlyDictionary<string, string>? extra = null,
        Func<KubernetesApiStandIn, Task>? prepare = null, string? containerImage = null)
    {
        var apiServer = await KubernetesApiStandIn.StartAsync(userName: "alice");
        var directory = Directory.CreateTempSubdirectory("meshdev-cluster-mesh-").FullName;
        try
        {
            if (prepare is not null)
            {
                await prepare(apiServer);
            }

            apiServer.SetImageBehaviour(AppImage, ImageBehaviour.Executes("dotnet", [TestPrograms.TestServiceDll]));
            apiServer.SetImageBehaviour(GatewayImage, ImageBehaviour.Executes(
                "dotnet", [TestPrograms.GatewayDll], files: new Dictionary<string, IReadOnlyList<string>> { [GatewaySidecar.Binary] = ["dotnet", TestPrograms.GatewayDll] }));
            var meshPorts = services.Keys.ToDictionary(s => s, _ => TestPorts.Free());
            var manifestPath = Path.Combine(directory, "meshdev.yaml");
            File.WriteAllText(manifestPath, ManifestYaml(services, meshPorts, externalPorts ?? new Dictionary<string, int>(), extra ?? new Dictionary<string, string>(), containerImage));
            foreach (var name in services.Where(s => s.Value == "team-manifest").Select(s => s.Key))
            {
                Directory.CreateDirectory(Path.Combine(directory, "k8s"));
                File.WriteAllText(Path.Combine(directory, "k8s", $"{name}.yaml"), TeamDeployment(name));
            }

            var manifest = ManifestLoader.Load(manifestPath);
            var state = StateDirectory.For(manifest);
            var calls = new ClusterCalls();
            var options = new KubernetesRuntimeOptions
            {
                MeshId = MeshIdentity.For(state.Root),
                ManifestPath = manifestPath,
                Owner = "alice",
                KubeConfig = KubeConfigSource.FromFile(apiServer.WriteKubeconfig(Path.Combine(directory, "kubeconfig"))),
                Gateway = MeshHost.GatewayFor(manifest) with { Image = GatewayImage },
                Calls = calls,
            };
            var kubernetes = new KubernetesRuntime(options);
            var processes = new ProcessRuntime(state.Root);
            var docker = new MeshDev.Docker.DockerRuntime(options.MeshId, manifestPath);
            var host = await MeshHost.StartAsync(manifest, new MeshHostOptions
            {
                Prebuild = false,
                Runtimes = [processes, docker, kubernetes],
                ClusterCalls = calls,
            });
            return new ClusterMesh(apiServer, directory, host, meshPorts) { _kubernetes = kubernetes, _processes = processes, _docker = docker, Options = options, Manifest = manifest };
        }
        catch
        {
            await apiServer.DisposeAsync();
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    private KubernetesRuntime? _kubernetes;
    private ProcessRuntime? _processes;
    private MeshDev.Docker.DockerRuntime? _docker;

    public KubernetesRuntime Kubernetes => _kubernetes!;

    public KubernetesRuntimeOptions Options { get; private init; } = null!;

    public MeshManifest Manifest { get; private init; } = null!;

    private bool _stopped;

    /// <summary>Stops the mesh as <c>meshdev down</c> does (its pods' Deployments scaled to 0); the stand-in stays up.</summary>
    public async Task StopMeshAsync()
    {
        _stopped = true;
        await Host.DisposeAsync();
        await _kubernetes!.DisposeAsync();
        // The runtimes were given to the host, which then leaves them to their owner: disposing the Docker runtime
        // removes the mesh's containers (stopped ones too), as `meshdev down` does.
        await _docker!.DisposeAsync();
        _processes!.Dispose();
    }

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

    /// <summary>The body of a successful GET; a failure shows the status and the body.</summary>
    public static async Task<string> GetOkAsync(Uri url)
    {
        using var response = await Http.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{url}: {(int)response.StatusCode} {body}");
        return body;
    }

    /// <summary>Everything the mesh logged for <paramref name="service"/>, for failure messages.</summary>
    public string LogOf(string service) => string.Join("\n", Service(service).Log.Tail(80));

    private static string ManifestYaml(
        IReadOnlyDictionary<string, string> services, IReadOnlyDictionary<string, int> meshPorts, IReadOnlyDictionary<string, int> externalPorts, IReadOnlyDictionary<string, string> extra,
        string? containerImage)
    {
        var yaml = new System.Text.StringBuilder();
        yaml.AppendLine($"mesh: {{ http: {TestPorts.Free()}, xds: {TestPorts.Free()} }}");
        yaml.AppendLine("services:");
        foreach (var (name, kind) in services)
        {
            yaml.AppendLine($"  {name}:");
            yaml.AppendLine($"    meshPort: {meshPorts[name]}");
            if (extra.TryGetValue(name, out var lines))
            {
                yaml.AppendLine($"    {lines}");
            }

            switch (kind)
            {
                case "process":
                    yaml.AppendLine($"    command: dotnet");
                    yaml.AppendLine($"    args: [\"{TestPrograms.TestServiceDll}\"]");
                    yaml.AppendLine($"    env: {{ MESHDEV_TEST_NAME: {name} }}");
                    yaml.AppendLine("    ready: { http: /healthz }");
                    break;
                case "crashing":
                    yaml.AppendLine($"    command: dotnet");
                    yaml.AppendLine($"    args: [\"{TestPrograms.TestServiceDll}\", --exit-at-once, \"3\"]");
                    break;
                case "grpc-crashing":
                    yaml.AppendLine($"    command: dotnet");
                    yaml.AppendLine($"    args: [\"{TestPrograms.GrpcTestServiceDll}\", --exit-at-once, \"3\"]");
                    yaml.AppendLine("    ready: { grpc: true }");
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
                case "container":
                    yaml.AppendLine("    runtime: docker");
                    yaml.AppendLine($"    image: {containerImage ?? throw new ArgumentNullException(nameof(containerImage))}");
                    break;
                case "team-manifest":
                    yaml.AppendLine("    runtime: kubernetes");
                    yaml.AppendLine($"    manifests: [k8s/{name}.yaml]");
                    yaml.AppendLine("    port: 8080");
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

    /// <summary>A Deployment as a team writes it for its own cluster, knowing nothing of MeshDev.</summary>
    private static string TeamDeployment(string name) => $$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: {{name}} }
        spec:
          selector: { matchLabels: { app: {{name}} } }
          template:
            metadata: { labels: { app: {{name}} } }
            spec:
              containers:
                - name: app
                  image: {{AppImage}}
                  env:
                    - { name: MESHDEV_TEST_NAME, value: {{name}} }
                    - { name: MESHDEV_TEST_LISTEN, value: 0.0.0.0 }
                    - { name: PORT, value: "8080" }
                  readinessProbe: { httpGet: { path: /healthz, port: 8080 }, periodSeconds: 1 }
        """;

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            await StopMeshAsync();
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

    /// <summary>The folder holding MeshDev.sln.</summary>
    public static string RepositoryRoot => Root;

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
