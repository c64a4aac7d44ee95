using System.Diagnostics;
using System.Net;
using MeshDev.Activation;
using MeshDev.Kubernetes.Tests.ApiServer;
using MeshDev.Kubernetes.Tests.Mesh;

namespace MeshDev.ClusterBench;

/// <summary>
/// The mesh under test: the tests' whole-mesh fixture (<see cref="ClusterMesh"/>: the API-server stand-in in this
/// process, its kubelet running each pod's real processes in the pod's own network namespace) with two pods,
/// <c>orders</c> and <c>stock</c>, and one laptop process, <c>users</c>; all three are MeshDev.TestService. The pods'
/// gateway sidecar is the NativeAOT binary, as shipped, not the tests' <c>dotnet meshdev-gateway.dll</c>.
/// </summary>
internal sealed class BenchCluster : IAsyncDisposable
{
    public const string Namespace = "meshdev-alice";
    public const string CallerPod = "orders";
    public const string CalledPod = "stock";
    public const string Laptop = "users";

    /// <summary>The container port of the app in the generated pods (ClusterMesh's manifest).</summary>
    public const int AppPort = 8080;

    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(60);

    private BenchCluster(ClusterMesh mesh) => Mesh = mesh;

    public ClusterMesh Mesh { get; }

    public static async Task<BenchCluster> StartAsync(string gateway, string scratch, CancellationToken cancellationToken)
    {
        var mesh = await ClusterMesh.StartAsync(new Dictionary<string, string>
        {
            [CallerPod] = "kubernetes",
            [CalledPod] = "kubernetes",
            [Laptop] = "process",
        }).WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Read by the kubelet when it starts a container, and no pod runs yet (services start on their first call).
            mesh.ApiServer.SetImageBehaviour(ClusterMesh.GatewayImage, ImageBehaviour.Executes(
                gateway, files: new Dictionary<string, IReadOnlyList<string>> { [MeshDev.Kubernetes.Objects.GatewaySidecar.Binary] = [gateway] }));

            // For run-cluster.sh, should this process be killed: the pods' namespaces, and the laptop services' pid files.
            await File.WriteAllTextAsync(Path.Combine(scratch, "netns-prefix"), mesh.ApiServer.NetworkNamespacePrefix + "\n", cancellationToken).ConfigureAwait(false);
            var pids = Path.Combine(mesh.Host.State.Root, "pids");
            await File.WriteAllTextAsync(Path.Combine(scratch, "mesh-pids-dir"), pids + "\n", cancellationToken).ConfigureAwait(false);
            return new BenchCluster(mesh);
        }
        catch
        {
            await mesh.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public ServiceActivator Service(string name) => Mesh.Service(name);

    public int MeshPort(string service) => Mesh.MeshPorts[service];

    /// <summary>The network namespace of the service's pod now.</summary>
    public PodNetwork PodNetworkOf(string service) =>
        Mesh.ApiServer.NetworkOf(Namespace, Mesh.PodOf(service)) ?? throw new BenchException($"the pod of {service} has no network namespace");

    /// <summary>Starts a pod from the laptop (a call to its mesh port, as a developer would) and waits until its gateway's link is connected.</summary>
    public async Task BringUpPodAsync(string service, CancellationToken cancellationToken)
    {
        if (Service(service).State != ServiceState.Ready)
        {
            using var response = await ClusterMesh.Http.GetAsync(Mesh.Url(service), cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new BenchException($"{service} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}\n{Mesh.LogOf(service)}");
            }
        }

        await WaitUntilAsync(() => Mesh.Status(service).Link?.Contains("connected", StringComparison.Ordinal) == true,
            $"the link to {service}'s gateway is connected (status: {Mesh.Status(service).Link})", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the laptop service and waits until the mesh says it is stopped.</summary>
    public async Task StopAsync(string service, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(WaitLimit);
        await Service(service).StopAsync("bench round over").WaitAsync(timeout.Token).ConfigureAwait(false);
        await WaitUntilAsync(() => Service(service).State == ServiceState.Stopped, $"{service} is stopped", cancellationToken).ConfigureAwait(false);
    }

    public static async Task WaitUntilAsync(Func<bool> condition, string what, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > WaitLimit)
            {
                throw new BenchException($"timed out after {WaitLimit.TotalSeconds:0} s waiting until {what}");
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => Mesh.DisposeAsync();
}
