using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// RBAC denials from <see cref="KubernetesApiStandIn"/>, the in-process stand-in for an API server (no real one can run
/// here), as the real KubernetesClient receives them: 403 with the authorizer's wording, and nothing else denied.
/// </summary>
public sealed class KubernetesClientForbiddenAgainstStandInTests
{
    private const string Ns = "meshdev-alice";

    [Fact]
    public async Task A_forbidden_scale_patch_gets_403_with_the_api_servers_rbac_message_while_other_verbs_still_work()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync(userName: "alice");
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace("meshdev-bob"));
        await client.AppsV1.CreateNamespacedDeploymentAsync(StandInObjects.Deployment("orders", "shop/orders:dev", 0), Ns);
        await client.AppsV1.CreateNamespacedDeploymentAsync(StandInObjects.Deployment("orders", "shop/orders:dev", 0), "meshdev-bob");
        standIn.Forbid("patch", "deployments/scale", Ns);
        var scaleUp = new V1Patch("""{"spec":{"replicas":1}}""", V1Patch.PatchType.MergePatch);

        var denied = await Assert.ThrowsAsync<HttpOperationException>(() => client.AppsV1.PatchNamespacedDeploymentScaleAsync(scaleUp, "orders", Ns));
        Assert.Equal(HttpStatusCode.Forbidden, denied.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(denied.Response.Content);
        Assert.Equal(("Failure", "Forbidden", 403), (status.Status, status.Reason, status.Code));
        Assert.Equal(
            "deployments.apps \"orders\" is forbidden: User \"alice\" cannot patch resource \"deployments/scale\" in API group \"apps\" in the namespace \"meshdev-alice\"",
            status.Message);
        Assert.Equal(("orders", "apps", "deployments"), (status.Details.Name, status.Details.Group, status.Details.Kind));

        Assert.Equal(0, (await client.AppsV1.ReadNamespacedDeploymentScaleAsync("orders", Ns)).Spec.Replicas);
        Assert.Equal(1, (await client.AppsV1.PatchNamespacedDeploymentScaleAsync(scaleUp, "orders", "meshdev-bob")).Spec.Replicas);
        standIn.Allow("patch", "deployments/scale", Ns);
        Assert.Equal(1, (await client.AppsV1.PatchNamespacedDeploymentScaleAsync(scaleUp, "orders", Ns)).Spec.Replicas);
    }

    [Fact]
    public async Task A_granted_rule_allows_only_in_its_API_group_and_a_kind_the_stand_in_does_not_serve_is_authorized_first()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync(userName: "alice");
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        await client.AppsV1.CreateNamespacedDeploymentAsync(StandInObjects.Deployment("orders", "shop/orders:dev", 0), Ns);

        // A Role written with apiGroups: [""] for apps' kinds grants nothing on them.
        standIn.GrantOnly([("", "get", "deployments", Ns, null), ("", "list", "statefulsets", Ns, null)]);
        var wrongGroup = await Assert.ThrowsAsync<HttpOperationException>(() => client.AppsV1.ReadNamespacedDeploymentAsync("orders", Ns));
        var unservedWrongGroup = await Assert.ThrowsAsync<HttpOperationException>(() => client.AppsV1.ListNamespacedStatefulSetAsync(Ns));

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), (wrongGroup.Response.StatusCode, unservedWrongGroup.Response.StatusCode));
        Assert.Equal(
            "deployments.apps \"orders\" is forbidden: User \"alice\" cannot get resource \"deployments\" in API group \"apps\" in the namespace \"meshdev-alice\"",
            KubernetesJson.Deserialize<V1Status>(wrongGroup.Response.Content).Message);
        Assert.Equal(
            "statefulsets.apps is forbidden: User \"alice\" cannot list resource \"statefulsets\" in API group \"apps\" in the namespace \"meshdev-alice\"",
            KubernetesJson.Deserialize<V1Status>(unservedWrongGroup.Response.Content).Message);

        // In the right group both are allowed; the stand-in serves no StatefulSets, which it says only then.
        standIn.GrantOnly([("apps", "get", "deployments", Ns, null), ("apps", "list", "statefulsets", Ns, null)]);
        Assert.Equal("orders", (await client.AppsV1.ReadNamespacedDeploymentAsync("orders", Ns)).Metadata.Name);
        var unserved = await Assert.ThrowsAsync<HttpOperationException>(() => client.AppsV1.ListNamespacedStatefulSetAsync(Ns));
        Assert.Equal(HttpStatusCode.NotFound, unserved.Response.StatusCode);
    }

    [Fact]
    public async Task Forbidden_cluster_wide_lists_and_namespaced_watches_get_the_api_servers_rbac_messages()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync(userName: "alice");
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        standIn.Forbid("list", "pods");
        standIn.Forbid("watch", "events", Ns);
        standIn.Forbid("create", "namespaces");

        var list = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListPodForAllNamespacesAsync());
        Assert.Equal("pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" at the cluster scope",
            KubernetesJson.Deserialize<V1Status>(list.Response.Content).Message);
        var watch = await Assert.ThrowsAsync<HttpOperationException>(async () =>
        {
            await foreach (var _ in client.CoreV1.WatchListNamespacedEventAsync(Ns))
            {
            }
        });
        Assert.Equal("events is forbidden: User \"alice\" cannot watch resource \"events\" in API group \"\" in the namespace \"meshdev-alice\"",
            KubernetesJson.Deserialize<V1Status>(watch.Response.Content).Message);
        var create = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace("meshdev-carol")));
        Assert.Equal("namespaces is forbidden: User \"alice\" cannot create resource \"namespaces\" in API group \"\" at the cluster scope",
            KubernetesJson.Deserialize<V1Status>(create.Response.Content).Message);

        // Forbidden without a namespace means in every namespace too; other resources stay allowed.
        var namespaced = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListNamespacedPodAsync(Ns));
        Assert.Equal(HttpStatusCode.Forbidden, namespaced.Response.StatusCode);
        Assert.Empty((await client.AppsV1.ListNamespacedDeploymentAsync(Ns)).Items);
        Assert.Empty((await client.CoreV1.ListNamespacedEventAsync(Ns)).Items);
    }
}
