using k8s;
using MeshDev.Activation;
using MeshDev.Catalog;
using MeshDev.Kubernetes.Cluster;
using MeshDev.Kubernetes.Objects;

namespace MeshDev.Kubernetes.Tests.Runtime;

/// <summary>
/// Multi-tenant safety and <c>meshdev down [--purge]</c>, against the API-server stand-in (no real Kubernetes API server
/// can run on these machines): only objects with this developer's owner label and this mesh's label are ever changed,
/// scaled or deleted; a namespace without the owner label is refused unless adopted.
/// </summary>
public sealed class MultiTenantSafetyStandInTests : IAsyncLifetime
{
    private StandInCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await StandInCluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private static Dictionary<string, string> Labels(string owner, string mesh) =>
        new() { [MeshLabels.Owner] = owner, [MeshLabels.Mesh] = mesh, ["app"] = "x" };

    private KubernetesRuntimeOptions Options(string meshId = StandInCluster.MeshId) => new()
    {
        MeshId = meshId,
        ManifestPath = _cluster.ManifestPath,
        Owner = StandInCluster.Owner,
        KubeConfig = KubeConfigSource.FromFile(_cluster.Kubeconfig),
    };

    private MeshManifest Manifest(params ServiceSpec[] services) => new(_cluster.ManifestPath, new MeshSettings(), [.. services]);

    private async Task LaunchAsync(ServiceSpec service)
    {
        var activator = _cluster.Activator(service, _cluster.Runtime());
        using var lease = await StandInCluster.AcquireAsync(activator);
        Assert.Equal("hello from orders", await StandInCluster.CallAsync(lease));
    }

    [Fact]
    public async Task StandIn_a_Deployment_without_the_owner_label_is_never_changed_and_the_launch_says_so()
    {
        await _cluster.CreateNamespaceAsync(StandInCluster.Namespace, new Dictionary<string, string> { [MeshLabels.Owner] = StandInCluster.Owner });
        await _cluster.CreateForeignDeploymentAsync("orders");
        var activator = _cluster.Activator(StandInCluster.Service(), _cluster.Runtime());

        var failure = await Assert.ThrowsAsync<ServiceUnavailableException>(async () =>
        {
            using var lease = await activator.AcquireAsync();
        }).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(
            "Deployment 'orders' in namespace meshdev-alice exists and was not created by MeshDev (it has no dev.meshdev.owner=alice label); MeshDev never changes it: rename or delete it yourself, or use another 'namespace'",
            failure.Failure.Cause);
        var untouched = (await _cluster.DeploymentAsync())!;
        Assert.Equal(2, untouched.Spec.Replicas);
        Assert.False(untouched.Metadata.Labels.ContainsKey(MeshLabels.Owner));
        Assert.DoesNotContain(_cluster.ApiServer.Requests, r => r.Method is "PATCH" or "PUT" or "DELETE" && r.Path.Contains("/deployments/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StandIn_a_namespace_without_the_owner_label_is_refused_unless_adopted_which_labels_it()
    {
        await _cluster.CreateNamespaceAsync(StandInCluster.Namespace);
        var refused = _cluster.Activator(StandInCluster.Service(), _cluster.Runtime());

        var failure = await Assert.ThrowsAsync<ServiceUnavailableException>(async () =>
        {
            using var lease = await refused.AcquireAsync();
        }).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.StartsWith("namespace 'meshdev-alice' exists but is not marked as yours (no dev.meshdev.owner=alice label), so MeshDev will not use it; run 'meshdev up --adopt'", failure.Failure.Cause);
        Assert.Null(await _cluster.DeploymentAsync());

        var adopting = _cluster.Activator(StandInCluster.Service(), _cluster.Runtime(adopt: true));
        using (var lease = await StandInCluster.AcquireAsync(adopting))
        {
            Assert.Equal("hello from orders", await StandInCluster.CallAsync(lease));
        }

        Assert.Equal(StandInCluster.Owner, (await _cluster.Client.CoreV1.ReadNamespaceAsync(StandInCluster.Namespace)).Metadata.Labels[MeshLabels.Owner]);
    }

    [Fact]
    public async Task StandIn_another_developers_namespace_is_refused_even_with_adopt()
    {
        await _cluster.CreateNamespaceAsync("team", new Dictionary<string, string> { [MeshLabels.Owner] = "bob" });
        var activator = _cluster.Activator(StandInCluster.Service(kubernetes: k => k with { Namespace = "team" }), _cluster.Runtime(adopt: true));

        var failure = await Assert.ThrowsAsync<ServiceUnavailableException>(async () =>
        {
            using var lease = await activator.AcquireAsync();
        }).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("namespace 'team' belongs to another developer (dev.meshdev.owner=bob); MeshDev never uses it: set your own 'namespace'", failure.Failure.Cause);
    }

    [Fact]
    public async Task StandIn_down_scales_only_this_meshs_Deployments_to_zero()
    {
        await LaunchAsync(StandInCluster.Service());
        await _cluster.CreateForeignDeploymentAsync("billing");
        await _cluster.CreateForeignDeploymentAsync("bobs", Labels("bob", StandInCluster.MeshId));
        await _cluster.CreateForeignDeploymentAsync("other-mesh", Labels(StandInCluster.Owner, "ffffffffffff"));

        var result = await MeshObjects.ScaleDownAsync(Manifest(StandInCluster.Service()), StandInCluster.MeshId, Options());

        Assert.Equal(1, result.ScaledDown);
        Assert.Equal(0, result.Deleted);
        Assert.Empty(result.Problems);
        Assert.Equal(0, (await _cluster.DeploymentAsync())!.Spec.Replicas);
        Assert.Equal(2, (await _cluster.DeploymentAsync("billing"))!.Spec.Replicas);
        Assert.Equal(2, (await _cluster.DeploymentAsync("bobs"))!.Spec.Replicas);
        Assert.Equal(2, (await _cluster.DeploymentAsync("other-mesh"))!.Spec.Replicas);
    }

    [Fact]
    public async Task StandIn_down_purge_deletes_this_meshs_objects_and_the_namespace_it_created_when_nothing_else_is_there()
    {
        await LaunchAsync(StandInCluster.Service());

        var result = await MeshObjects.PurgeAsync(Manifest(StandInCluster.Service()), StandInCluster.MeshId, Options());

        Assert.Equal([], result.Problems);
        Assert.Equal(2, result.Deleted); // the Deployment and the Service
        Assert.Equal([StandInCluster.Namespace], result.DeletedNamespaces);
        Assert.True(await StandInCluster.EventuallyAsync(async () => (await _cluster.Client.CoreV1.ListNamespaceAsync()).Items.All(n => n.Metadata.Name != StandInCluster.Namespace || n.Status?.Phase == "Terminating")));
    }

    [Fact]
    public async Task StandIn_down_purge_leaves_everything_that_is_not_this_meshs_and_keeps_a_namespace_that_holds_it()
    {
        await LaunchAsync(StandInCluster.Service());
        await _cluster.CreateForeignDeploymentAsync("billing");
        await _cluster.CreateForeignDeploymentAsync("bobs", Labels("bob", StandInCluster.MeshId));
        await _cluster.CreateForeignDeploymentAsync("other-mesh", Labels(StandInCluster.Owner, "ffffffffffff"));

        var result = await MeshObjects.PurgeAsync(Manifest(StandInCluster.Service()), StandInCluster.MeshId, Options());

        Assert.Empty(result.Problems);
        Assert.Equal(2, result.Deleted);
        Assert.Empty(result.DeletedNamespaces);
        Assert.True(await StandInCluster.EventuallyAsync(async () => await _cluster.DeploymentAsync() is null));
        Assert.NotNull(await _cluster.DeploymentAsync("billing"));
        Assert.NotNull(await _cluster.DeploymentAsync("bobs"));
        Assert.NotNull(await _cluster.DeploymentAsync("other-mesh"));
        Assert.Equal("Active", (await _cluster.Client.CoreV1.ReadNamespaceAsync(StandInCluster.Namespace)).Status.Phase);
    }

    [Fact]
    public async Task StandIn_down_without_a_reachable_cluster_reports_one_problem_sentence()
    {
        var options = Options() with { KubeConfig = KubeConfigSource.FromFile(Path.Combine(_cluster.Directory, "missing")) };

        var result = await MeshObjects.ScaleDownAsync(Manifest(StandInCluster.Service()), StandInCluster.MeshId, options);

        Assert.Equal(0, result.ScaledDown);
        Assert.StartsWith("no kubeconfig at ", Assert.Single(result.Problems));
    }
}
