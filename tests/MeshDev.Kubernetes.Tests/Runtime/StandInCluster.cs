using System.Collections.Immutable;
using System.Net;
using k8s;
using k8s.Models;
using MeshDev.Activation;
using MeshDev.Catalog;
using MeshDev.Kubernetes.Cluster;
using MeshDev.Kubernetes.Objects;
using MeshDev.Kubernetes.Tests.ApiServer;
using MeshDev.Runtime;
using MeshDev.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Kubernetes.Tests.Runtime;

/// <summary>
/// What the runtime's tests run against: the in-process API-server stand-in (no real Kubernetes API server can run on
/// these machines), a kubeconfig pointing at it as a developer's would, and a real local HTTP server that the
/// stand-in's port-forward reaches for pods of <see cref="AppImage"/> — so a response proves the whole path.
/// </summary>
internal sealed class StandInCluster : IAsyncDisposable
{
    public const string AppImage = "shop/orders:dev";
    public const string Owner = "alice";
    public const string Namespace = "meshdev-alice";
    public const string MeshId = "0123456789ab";

    private readonly WebApplication _app;
    private readonly List<IAsyncDisposable> _owned = [];

    private StandInCluster(KubernetesApiStandIn apiServer, WebApplication app, string directory, ServiceEndpoint appEndpoint)
    {
        ApiServer = apiServer;
        _app = app;
        Directory = directory;
        AppEndpoint = appEndpoint;
        Kubeconfig = apiServer.WriteKubeconfig(Path.Combine(directory, "kubeconfig"));
        Client = apiServer.CreateClient();
    }

    public KubernetesApiStandIn ApiServer { get; }

    /// <summary>A folder for the manifest and the team's k8s files; deleted at the end.</summary>
    public string Directory { get; }

    public string Kubeconfig { get; }

    public string ManifestPath => Path.Combine(Directory, "meshdev.yaml");

    /// <summary>The real server behind the pods of <see cref="AppImage"/>: answers <c>hello from orders</c>.</summary>
    public ServiceEndpoint AppEndpoint { get; }

    /// <summary>A client of the stand-in for the test's own checks and setup (what <c>kubectl</c> would show).</summary>
    public k8s.Kubernetes Client { get; }

    public static async Task<StandInCluster> StartAsync()
    {
        var apiServer = await KubernetesApiStandIn.StartAsync(userName: Owner);
        var app = LoopbackKestrel.CreateBuilder().Build();
        app.Run(context => context.Response.WriteAsync("hello from orders"));
        var port = await LoopbackKestrel.StartAsync(app);
        var cluster = new StandInCluster(apiServer, app, System.IO.Directory.CreateTempSubdirectory("meshdev-k8s-standin-").FullName, new ServiceEndpoint("127.0.0.1", port));
        apiServer.SetImageBehaviour(AppImage, ImageBehaviour.Runs(cluster.AppEndpoint, readyAfter: TimeSpan.FromMilliseconds(100), logLines: ["listening on :8080"]));
        return cluster;
    }

    /// <param name="time">The runtime's clock (its startTimeout deadline); the system's unless a test moves it.</param>
    public KubernetesRuntime Runtime(
        bool adopt = false, string meshId = MeshId, string? kubeconfig = null, GatewaySidecar? gateway = null, LocalGatewayImage? gatewayImage = null, TimeProvider? time = null)
    {
        var runtime = new KubernetesRuntime(new KubernetesRuntimeOptions
        {
            MeshId = meshId,
            ManifestPath = ManifestPath,
            Owner = Owner,
            AdoptNamespaces = adopt,
            KubeConfig = KubeConfigSource.FromFile(kubeconfig ?? Kubeconfig),
            Gateway = gateway,
            LocalGatewayImage = gatewayImage,
            Time = time ?? TimeProvider.System,
        });
        _owned.Add(runtime);
        return runtime;
    }

    public static ServiceSpec Service(
        string image = AppImage, string name = "orders", TimeSpan? startTimeout = null, TimeSpan? idleTimeout = null, Func<KubernetesSpec, KubernetesSpec>? kubernetes = null) => new()
        {
            Name = name,
            Runtime = RuntimeKind.Kubernetes,
            WorkingDir = "/tmp",
            Port = 8080,
            StartTimeout = startTimeout ?? TimeSpan.FromMinutes(10),
            IdleTimeout = idleTimeout ?? TimeSpan.FromMinutes(10),
            Kubernetes = (kubernetes ?? (k => k))(new KubernetesSpec { Image = image }),
        };

    /// <summary>A service of the team's own manifest file <paramref name="yaml"/> (written as <c>k8s/{name}.yaml</c>).</summary>
    public ServiceSpec ManifestService(string yaml, string name = "orders")
    {
        var file = Path.Combine(Directory, "k8s", $"{name}.yaml");
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, yaml);
        return Service(name: name, kubernetes: k => k with { Image = null, Manifests = ImmutableArray.Create(file) });
    }

    public ServiceActivator Activator(ServiceSpec service, IServiceRuntime runtime)
    {
        var activator = new ServiceActivator(service, runtime, new ServiceLog(service.Name, null), (s, _) => new Dictionary<string, string> { ["MESHDEV_SERVICE"] = s.Name });
        _owned.Insert(0, activator);
        return activator;
    }

    public static LaunchRequest Request(ServiceSpec service, ServiceLog? log = null) =>
        new(service, service.Port ?? 0, new Dictionary<string, string> { ["MESHDEV_SERVICE"] = service.Name }, log ?? new ServiceLog(service.Name, null));

    /// <summary>A lease on the service (launching it), or a failure that shows what the service's log says when it takes too long.</summary>
    public static async Task<ActivityLease> AcquireAsync(ServiceActivator activator, TimeSpan? within = null)
    {
        try
        {
            return await activator.AcquireAsync().AsTask().WaitAsync(within ?? TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{activator.Service.Name} is still {activator.State}; its log:\n{string.Join("\n", activator.Log.Tail(50))}");
        }
    }

    /// <summary>The service's answer through the lease's endpoint: the local forward port, the stand-in's port-forward, the app.</summary>
    public static async Task<string> CallAsync(ActivityLease lease)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        return await http.GetStringAsync(lease.Endpoint.HttpUri);
    }

    public async Task<V1Deployment?> DeploymentAsync(string name = "orders", string @namespace = Namespace)
    {
        try
        {
            return await Client.AppsV1.ReadNamespacedDeploymentAsync(name, @namespace);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Creates a Deployment the way someone else would (kubectl apply of their own file): none of MeshDev's labels unless given.</summary>
    public async Task CreateForeignDeploymentAsync(string name, IDictionary<string, string>? labels = null, string @namespace = Namespace)
    {
        var podLabels = new Dictionary<string, string> { ["app"] = name };
        await Client.AppsV1.CreateNamespacedDeploymentAsync(
            new V1Deployment
            {
                Metadata = new V1ObjectMeta { Name = name, Labels = labels ?? new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1DeploymentSpec
                {
                    Replicas = 2,
                    Selector = new V1LabelSelector { MatchLabels = podLabels },
                    Template = new V1PodTemplateSpec
                    {
                        Metadata = new V1ObjectMeta { Labels = podLabels },
                        Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "someone/else:1" }] },
                    },
                },
            },
            @namespace);
    }

    public async Task CreateNamespaceAsync(string name, IDictionary<string, string>? labels = null) =>
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name, Labels = labels } });

    /// <summary>Waits (a bounded time) until <paramref name="condition"/> holds; false when it never did.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(50);
        }

        return await condition();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        Client.Dispose();
        await ApiServer.DisposeAsync();
        await _app.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
