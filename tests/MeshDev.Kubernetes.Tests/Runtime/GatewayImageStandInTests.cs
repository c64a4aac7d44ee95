using k8s;
using k8s.Models;
using MeshDev.Kubernetes.Objects;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Tests.Runtime;

/// <summary>The gateway image the mesh makes itself (<see cref="LocalGatewayImage"/>) reaches generated pods, against the API-server stand-in.</summary>
public sealed class GatewayImageStandInTests : IAsyncLifetime
{
    private const string Built = "meshdev/gateway:0123456789abcdef";

    private static readonly GatewaySidecar Gateway = new(GatewaySidecar.DefaultImage, 15010, new Dictionary<int, string> { [15101] = "orders", [15000] = "*" });

    private StandInCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await StandInCluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task StandIn_a_generated_pods_sidecar_runs_the_image_the_mesh_built()
    {
        var runtime = _cluster.Runtime(gateway: Gateway, gatewayImage: new LocalGatewayImage(Task.FromResult(Built), Task.FromResult<string?>(null)));

        var instance = await runtime.StartAsync(StandInCluster.Request(StandInCluster.Service()), CancellationToken.None);
        await instance.DisposeAsync();

        var sidecar = Assert.Single((await _cluster.DeploymentAsync())!.Spec.Template.Spec.InitContainers);
        Assert.Equal(GatewaySidecar.ContainerName, sidecar.Name);
        Assert.Equal(Built, sidecar.Image);
    }

    [Fact]
    public async Task StandIn_a_launch_waits_for_the_build_and_its_log_says_why_the_image_was_not_built()
    {
        var build = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var runtime = _cluster.Runtime(gateway: Gateway, gatewayImage: new LocalGatewayImage(Task.FromResult(Built), build.Task));
        var log = new ServiceLog("orders", null);

        var starting = runtime.StartAsync(StandInCluster.Request(StandInCluster.Service(), log), CancellationToken.None);
        Assert.False(starting.IsCompleted);
        build.SetResult("the Docker engine is not reachable at unix:///var/run/docker.sock (no such socket); load the image by hand");
        var instance = await starting;
        await instance.DisposeAsync();

        Assert.Contains("meshdev: the Docker engine is not reachable at unix:///var/run/docker.sock (no such socket); load the image by hand", log.Tail(50));
        Assert.NotNull(await _cluster.DeploymentAsync());
    }

    [Fact]
    public async Task StandIn_a_missing_gateway_fails_the_launch_with_its_sentence_and_writes_no_Deployment()
    {
        const string Missing = "the pods' gateway cannot be made into an image: /opt/meshdev/gateway/linux-x64/meshdev-gateway does not exist; reinstall meshdev";
        var reference = Task.FromException<string>(new LaunchException(Missing));
        var runtime = _cluster.Runtime(gateway: Gateway, gatewayImage: new LocalGatewayImage(reference, Task.FromResult<string?>(Missing)));

        var error = await Assert.ThrowsAsync<LaunchException>(() => runtime.StartAsync(StandInCluster.Request(StandInCluster.Service()), CancellationToken.None));

        Assert.Equal(Missing, error.Message);
        Assert.Null(await _cluster.DeploymentAsync());
        Assert.Null(await runtime.AdoptAsync(StandInCluster.Request(StandInCluster.Service()), CancellationToken.None));
    }

    [Fact]
    public async Task StandIn_adoption_compares_settings_with_the_images_name_without_waiting_for_its_build()
    {
        var first = _cluster.Runtime(gateway: Gateway, gatewayImage: new LocalGatewayImage(Task.FromResult(Built), Task.FromResult<string?>(null)));
        var instance = await first.StartAsync(StandInCluster.Request(StandInCluster.Service()), CancellationToken.None);
        // The daemon goes away without stopping anything (killed): the Deployment stays at 1 replica. Set here too: this
        // stand-in pod (no behaviour for the gateway image) fails sooner or later, and an instance that saw it fail
        // before it was disposed has scaled the Deployment down itself (on a busy machine, it did).
        await instance.DisposeAsync();
        await _cluster.Client.AppsV1.PatchNamespacedDeploymentScaleAsync(
            new V1Patch("""{"spec":{"replicas":1}}""", V1Patch.PatchType.MergePatch), "orders", StandInCluster.Namespace);

        var neverBuilt = new TaskCompletionSource<string?>();
        var rebuilt = _cluster.Runtime(gateway: Gateway, gatewayImage: new LocalGatewayImage(Task.FromResult("meshdev/gateway:fedcba9876543210"), neverBuilt.Task));
        var log = new ServiceLog("orders", null);
        // Bounded only so a runtime that waited for the build fails the test instead of hanging it.
        var adopted = await rebuilt.AdoptAsync(StandInCluster.Request(StandInCluster.Service(), log), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        // Another gateway is other settings: the pod is not taken over but scaled down, so the next call gets the new one.
        Assert.Null(adopted);
        Assert.Contains(log.Tail(50), line => line.Contains("with other settings", StringComparison.Ordinal));
        Assert.Equal(0, (await _cluster.DeploymentAsync())!.Spec.Replicas);
    }
}
