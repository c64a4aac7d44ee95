using k8s;
using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// The stand-in's httpGet probes follow redirects as the kubelet's do (same host: followed, the last status judged), so
/// a health path that redirects to a missing page fails here as on a cluster. A real python3 server in the pod's own
/// network namespace; needs root, as CI has.
/// </summary>
public sealed class ProbeRedirectStandInTests
{
    private const string Ns = "meshdev-alice";

    // /healthz redirects to /gone, which is missing; /ok redirects to /fine, which answers 200.
    private const string Server = """
        import http.server
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                target = {'/healthz': '/gone', '/ok': '/fine'}.get(self.path)
                self.send_response(302 if target else 200 if self.path == '/fine' else 404)
                if target:
                    self.send_header('Location', target)
                self.send_header('Content-Length', '0')
                self.end_headers()
        http.server.HTTPServer(('', 8080), H).serve_forever()
        """;

    [Fact]
    public async Task StandIn_an_httpGet_probe_follows_a_same_host_redirect_and_judges_the_page_it_lands_on()
    {
        Assert.True(NodeNetwork.RootProblem is null, NodeNetwork.RootProblem);
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        standIn.SetImageBehaviour("shop/web:dev", ImageBehaviour.Executes(RealPython.Path, ["-c", Server]));
        using var client = standIn.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        var from = $"{standIn.ResourceVersion}";
        await using var events = new WatchedEvents<Corev1Event>(token =>
            client.CoreV1.WatchListNamespacedEventAsync(Ns, fieldSelector: "involvedObject.kind=Pod", resourceVersion: from, cancellationToken: token));
        await using var pods = new WatchedEvents<V1Pod>(token => client.CoreV1.WatchListNamespacedPodAsync(Ns, resourceVersion: from, cancellationToken: token));

        await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("broken", "/healthz"), Ns);
        await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("fine", "/ok"), Ns);

        // Probes made before the server listens fail with a refused connection; the first answered one is the 404.
        var (_, unhealthy) = await events.NextAsync(
            (_, e) => e.Reason == "Unhealthy" && e.InvolvedObject.Name.StartsWith("broken-", StringComparison.Ordinal) && e.Message.Contains("statuscode", StringComparison.Ordinal),
            "broken's probe failing on a status");
        Assert.Equal("Readiness probe failed: HTTP probe failed with statuscode: 404", unhealthy.Message);
        await pods.NextAsync((_, p) => p.Metadata.Name.StartsWith("fine-", StringComparison.Ordinal) && PodStatusRules.IsReady(p), "fine ready");
    }

    private static V1Deployment Deployment(string name, string path)
    {
        var deployment = StandInObjects.Deployment(name, "shop/web:dev", 1);
        deployment.Spec.Template.Spec.Containers[0].ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = path, Port = 8080 }, PeriodSeconds = 1 };
        return deployment;
    }
}
