using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// The real KubernetesClient against <see cref="KubernetesApiStandIn"/>, the in-process stand-in for an API server (no
/// real one can run here): REST verbs on namespaces, deployments and services, label selectors, <c>Status</c> errors,
/// the bearer token, and a kubeconfig written by the stand-in.
/// </summary>
public sealed class KubernetesClientCrudAgainstStandInTests
{
    private const string Ns = "meshdev-alice";

    [Fact]
    public async Task Real_client_creates_reads_lists_patches_and_deletes_namespaces_on_the_stand_in()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        using var client = standIn.CreateClient();

        var created = await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        Assert.Equal("Active", created.Status.Phase);
        Assert.Equal(Ns, created.Metadata.Labels["kubernetes.io/metadata.name"]);
        Assert.False(string.IsNullOrEmpty(created.Metadata.Uid));
        Assert.NotNull(created.Metadata.CreationTimestamp);

        var merged = await client.CoreV1.PatchNamespaceAsync(
            new V1Patch("""{"metadata":{"labels":{"team":"checkout"}}}""", V1Patch.PatchType.MergePatch), Ns);
        var strategic = await client.CoreV1.PatchNamespaceAsync(
            new V1Patch(new { metadata = new { labels = new Dictionary<string, string?> { ["team"] = null, ["tier"] = "dev" } } }, V1Patch.PatchType.StrategicMergePatch), Ns);
        Assert.Equal("checkout", merged.Metadata.Labels["team"]);
        Assert.False(strategic.Metadata.Labels.ContainsKey("team"));
        Assert.Equal("dev", strategic.Metadata.Labels["tier"]);
        Assert.True(long.Parse(strategic.Metadata.ResourceVersion) > long.Parse(created.Metadata.ResourceVersion));

        var all = await client.CoreV1.ListNamespaceAsync();
        Assert.Contains(all.Items, n => n.Metadata.Name == "default");
        var owned = await client.CoreV1.ListNamespaceAsync(labelSelector: $"{StandInObjects.OwnerLabel}=alice,tier in (dev,test)");
        Assert.Equal([Ns], owned.Items.Select(n => n.Metadata.Name));
        Assert.Empty((await client.CoreV1.ListNamespaceAsync(labelSelector: "!tier,dev.meshdev.owner")).Items);

        var deleted = await client.CoreV1.DeleteNamespaceAsync(Ns);
        Assert.Equal("Terminating", deleted.ObjectView<V1Namespace>().Status.Phase);
        var gone = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReadNamespaceAsync(Ns));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
        Assert.Equal("namespaces \"meshdev-alice\" not found", KubernetesJson.Deserialize<V1Status>(gone.Response.Content).Message);
    }

    [Fact]
    public async Task Real_client_gets_already_exists_conflict_not_found_and_invalid_statuses_for_deployments_from_the_stand_in()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));

        var created = await client.AppsV1.CreateNamespacedDeploymentAsync(StandInObjects.Deployment("orders", "shop/orders:dev", 0), Ns);
        Assert.Equal(1, created.Metadata.Generation);
        Assert.Equal("RollingUpdate", created.Spec.Strategy.Type);
        Assert.Equal("Always", created.Spec.Template.Spec.RestartPolicy);
        Assert.Equal("IfNotPresent", created.Spec.Template.Spec.Containers[0].ImagePullPolicy);

        var duplicate = await Assert.ThrowsAsync<HttpOperationException>(() =>
            client.AppsV1.CreateNamespacedDeploymentAsync(StandInObjects.Deployment("orders", "shop/orders:dev", 0), Ns));
        Assert.Equal(HttpStatusCode.Conflict, duplicate.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(duplicate.Response.Content);
        Assert.Equal(("Failure", "AlreadyExists", 409, "deployments.apps \"orders\" already exists"), (status.Status, status.Reason, status.Code, status.Message));

        // Once the controller has written its status, the object as created is stale.
        var current = (await client.AppsV1.WatchListNamespacedDeploymentAsync(Ns, fieldSelector: "metadata.name=orders")
            .FirstAsync(e => e.Item2.Status?.ObservedGeneration == 1)).Item2;
        var stale = created;
        current.Spec.Template.Spec.Containers[0].Image = "shop/orders:dev2";
        var replaced = await client.AppsV1.ReplaceNamespacedDeploymentAsync(current, "orders", Ns);
        Assert.Equal(2, replaced.Metadata.Generation);
        var conflict = await Assert.ThrowsAsync<HttpOperationException>(() => client.AppsV1.ReplaceNamespacedDeploymentAsync(stale, "orders", Ns));
        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
        Assert.StartsWith("Operation cannot be fulfilled on deployments.apps \"orders\": the object has been modified", KubernetesJson.Deserialize<V1Status>(conflict.Response.Content).Message);

        var invalid = StandInObjects.Deployment("payments", "shop/payments:dev", 0);
        invalid.Spec.Template.Metadata.Labels["app"] = "other";
        var rejected = await Assert.ThrowsAsync<HttpOperationException>(() => client.AppsV1.CreateNamespacedDeploymentAsync(invalid, Ns));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, rejected.Response.StatusCode);
        Assert.Contains("`selector` does not match template `labels`", KubernetesJson.Deserialize<V1Status>(rejected.Response.Content).Message);

        var deleted = await client.AppsV1.DeleteNamespacedDeploymentAsync("orders", Ns);
        Assert.Equal(("Success", "orders", "deployments"), (deleted.Status, deleted.Details.Name, deleted.Details.Kind));
        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => client.AppsV1.ReadNamespacedDeploymentAsync("orders", Ns));
        Assert.Equal("deployments.apps \"orders\" not found", KubernetesJson.Deserialize<V1Status>(missing.Response.Content).Message);
    }

    [Fact]
    public async Task Real_client_lists_deployments_and_services_by_label_selector_and_patches_them_on_the_stand_in()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        await client.AppsV1.CreateNamespacedDeploymentAsync(StandInObjects.Deployment("orders", "shop/orders:dev", 0), Ns);
        var unowned = StandInObjects.Deployment("legacy", "shop/legacy:1", 0);
        unowned.Metadata.Labels.Remove(StandInObjects.OwnerLabel);
        await client.AppsV1.CreateNamespacedDeploymentAsync(unowned, Ns);

        var owned = await client.AppsV1.ListNamespacedDeploymentAsync(Ns, labelSelector: $"{StandInObjects.OwnerLabel}=alice");
        Assert.Equal(["orders"], owned.Items.Select(d => d.Metadata.Name));
        Assert.Equal(["legacy"], (await client.AppsV1.ListNamespacedDeploymentAsync(Ns, labelSelector: $"!{StandInObjects.OwnerLabel}")).Items.Select(d => d.Metadata.Name));
        Assert.Equal(2, (await client.AppsV1.ListDeploymentForAllNamespacesAsync()).Items.Count);

        var jsonPatched = await client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch("""[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"shop/orders:dev2"}]""", V1Patch.PatchType.JsonPatch), "orders", Ns);
        Assert.Equal("shop/orders:dev2", jsonPatched.Spec.Template.Spec.Containers[0].Image);
        var strategic = await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(
            """{"spec":{"template":{"spec":{"containers":[{"name":"orders","env":[{"name":"MODE","value":"dev"}]}]}}}}""",
            V1Patch.PatchType.StrategicMergePatch), "orders", Ns);
        // Strategic merge keeps the container (merged by name) instead of replacing the list.
        Assert.Equal(("shop/orders:dev2", 8080, "dev"), (
            strategic.Spec.Template.Spec.Containers[0].Image,
            strategic.Spec.Template.Spec.Containers[0].Ports[0].ContainerPort,
            strategic.Spec.Template.Spec.Containers[0].Env[0].Value));

        var service = await client.CoreV1.CreateNamespacedServiceAsync(StandInObjects.Service("orders"), Ns);
        Assert.StartsWith("127.", service.Spec.ClusterIP);
        Assert.Equal(("TCP", "ClusterIP"), (service.Spec.Ports[0].Protocol, service.Spec.Type));
        var relabelled = await client.CoreV1.PatchNamespacedServiceAsync(
            new V1Patch("""{"metadata":{"labels":{"dev.meshdev.service":"orders"}}}""", V1Patch.PatchType.MergePatch), "orders", Ns);
        Assert.Equal(service.Spec.ClusterIP, relabelled.Spec.ClusterIP);
        Assert.Single((await client.CoreV1.ListNamespacedServiceAsync(Ns, labelSelector: "dev.meshdev.service=orders")).Items);
        var deletedService = await client.CoreV1.DeleteNamespacedServiceAsync("orders", Ns);
        Assert.Equal("orders", deletedService.Metadata.Name);
        Assert.Empty((await client.CoreV1.ListNamespacedServiceAsync(Ns)).Items);
    }

    [Fact]
    public async Task Real_client_configured_from_the_kubeconfig_the_stand_in_writes_reaches_it_and_a_wrong_token_gets_401()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        var directory = Directory.CreateTempSubdirectory("meshdev-kubeconfig-");
        try
        {
            var path = standIn.WriteKubeconfig(Path.Combine(directory.FullName, "config"), "meshdev-test", Ns);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }

            var configuration = KubernetesClientConfiguration.BuildConfigFromConfigFile(path);
            Assert.Equal(("meshdev-test", Ns), (configuration.CurrentContext, configuration.Namespace));
            using var client = new k8s.Kubernetes(configuration);
            var version = await client.Version.GetCodeAsync();
            Assert.Equal("1", version.Major);
            Assert.Contains((await client.CoreV1.ListNamespaceAsync()).Items, n => n.Metadata.Name == "kube-system");

            var wrong = standIn.Configuration;
            wrong.AccessToken = "not-the-token";
            using var intruder = new k8s.Kubernetes(wrong);
            var refused = await Assert.ThrowsAsync<HttpOperationException>(() => intruder.CoreV1.ListNamespaceAsync());
            Assert.Equal(HttpStatusCode.Unauthorized, refused.Response.StatusCode);
            var status = KubernetesJson.Deserialize<V1Status>(refused.Response.Content);
            Assert.Equal(("Failure", "Unauthorized", 401), (status.Status, status.Reason, status.Code));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
