using System.Net;
using System.Net.Http.Headers;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// Server-side apply (<c>application/apply-patch+yaml</c> with a <c>fieldManager</c>) from the real KubernetesClient
/// against <see cref="KubernetesApiStandIn"/>, the in-process stand-in for an API server (no real one can run here).
/// </summary>
public sealed class KubernetesClientServerSideApplyAgainstStandInTests
{
    private const string Ns = "meshdev-alice";

    [Fact]
    public async Task Real_client_server_side_apply_creates_then_updates_a_deployment_on_the_stand_in_and_records_its_field_manager()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));

        var desired = StandInObjects.Deployment("orders", "shop/orders:dev", 0);
        var created = await client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch(desired, V1Patch.PatchType.ApplyPatch), "orders", Ns, fieldManager: "meshdev", force: true);
        Assert.Equal(("orders", Ns, 1L), (created.Metadata.Name, created.Metadata.NamespaceProperty, created.Metadata.Generation ?? 0));
        Assert.Contains(created.Metadata.ManagedFields, f => f.Manager == "meshdev" && f.Operation == "Apply");
        Assert.Contains(standIn.Requests, r => r.Method == "PATCH" && r.Path == $"/apis/apps/v1/namespaces/{Ns}/deployments/orders" && r.Status == 201 &&
            r.ContentType!.StartsWith("application/apply-patch+yaml", StringComparison.Ordinal));

        desired.Metadata.Labels["dev.meshdev.config"] = "b7f1";
        desired.Spec.Template.Spec.Containers[0].Image = "shop/orders:dev2";
        var updated = await client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch(desired, V1Patch.PatchType.ApplyPatch), "orders", Ns, fieldManager: "meshdev", force: true);
        Assert.Equal(("b7f1", "shop/orders:dev2", 2L), (
            updated.Metadata.Labels["dev.meshdev.config"], updated.Spec.Template.Spec.Containers[0].Image, updated.Metadata.Generation ?? 0));
        Assert.Equal(created.Metadata.Uid, updated.Metadata.Uid);
    }

    [Fact]
    public async Task Apply_without_a_field_manager_is_refused_and_a_yaml_body_is_accepted_by_the_stand_in()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.PatchNamespacedServiceAsync(
            new V1Patch(StandInObjects.Service("orders"), V1Patch.PatchType.ApplyPatch), "orders", Ns));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Response.StatusCode);
        Assert.Contains("fieldManager: Required value", KubernetesJson.Deserialize<V1Status>(refused.Response.Content).Message);

        // kubectl apply --server-side sends YAML; the stand-in reads it as the API server does.
        using var http = new HttpClient { BaseAddress = standIn.Server };
        var (created, first) = await ApplyYamlAsync(http, standIn.Token);
        Assert.Equal(HttpStatusCode.Created, created);

        var service = await client.CoreV1.ReadNamespacedServiceAsync("orders", Ns);
        Assert.Equal((80, 8080), (service.Spec.Ports[0].Port, int.Parse(service.Spec.Ports[0].TargetPort.Value)));
        Assert.Contains(service.Metadata.ManagedFields, f => f.Manager == "kubectl" && f.Operation == "Apply");

        // Applying the same configuration again changes nothing: no new resourceVersion.
        var (updated, second) = await ApplyYamlAsync(http, standIn.Token);
        Assert.Equal(HttpStatusCode.OK, updated);
        Assert.Equal(first.Metadata.ResourceVersion, second.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task A_Services_cluster_IP_is_kept_when_an_apply_leaves_it_out_and_refused_when_one_changes_it()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        var desired = StandInObjects.Service("orders");
        (desired.ApiVersion, desired.Kind) = ("v1", "Service");
        var allocated = (await client.CoreV1.PatchNamespacedServiceAsync(new V1Patch(desired, V1Patch.PatchType.ApplyPatch), "orders", Ns, fieldManager: "meshdev")).Spec.ClusterIP;

        desired.Metadata.Labels ??= new Dictionary<string, string>();
        desired.Metadata.Labels["dev.meshdev.config"] = "b7f1";
        var kept = await client.CoreV1.PatchNamespacedServiceAsync(new V1Patch(desired, V1Patch.PatchType.ApplyPatch), "orders", Ns, fieldManager: "meshdev");
        Assert.Equal((allocated, "b7f1"), (kept.Spec.ClusterIP, kept.Metadata.Labels["dev.meshdev.config"]));

        // What a Service exported from another cluster carries.
        desired.Spec.ClusterIP = "10.96.44.7";
        desired.Spec.ClusterIPs = ["10.96.44.7"];
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() =>
            client.CoreV1.PatchNamespacedServiceAsync(new V1Patch(desired, V1Patch.PatchType.ApplyPatch), "orders", Ns, fieldManager: "meshdev"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Response.StatusCode);
        Assert.Equal(
            "Service \"orders\" is invalid: spec.clusterIPs[0]: Invalid value: []string{\"10.96.44.7\"}: may not change once set",
            KubernetesJson.Deserialize<V1Status>(refused.Response.Content).Message);
        Assert.Equal(allocated, (await client.CoreV1.ReadNamespacedServiceAsync("orders", Ns)).Spec.ClusterIP);
    }

    private static async Task<(HttpStatusCode Status, V1Service Service)> ApplyYamlAsync(HttpClient http, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"api/v1/namespaces/{Ns}/services/orders?fieldManager=kubectl")
        {
            Content = new StringContent("""
                apiVersion: v1
                kind: Service
                metadata:
                  name: orders
                spec:
                  selector:
                    app: orders
                  ports:
                  - name: http
                    port: 80
                    targetPort: 8080
                """, Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/apply-patch+yaml");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, KubernetesJson.Deserialize<V1Service>(await response.Content.ReadAsStringAsync()));
    }
}
