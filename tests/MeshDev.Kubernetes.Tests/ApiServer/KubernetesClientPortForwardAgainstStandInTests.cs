using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using k8s;
using k8s.Models;
using MeshDev.Testing;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// Real port-forwards through the real KubernetesClient (<c>WebSocketNamespacedPodPortForwardAsync</c> and a
/// <c>StreamDemuxer</c> in <c>StreamType.PortForward</c> mode, as its documentation shows) to
/// <see cref="KubernetesApiStandIn"/>, the in-process stand-in for an API server (no real one can run here), which
/// pipes the <c>v4.channel.k8s.io</c> data channel to a real local server standing for the pod.
/// </summary>
public sealed class KubernetesClientPortForwardAgainstStandInTests
{
    private const string Ns = "meshdev-alice";
    private const string Image = "shop/orders:dev";

    [Fact]
    public async Task Real_port_forward_through_KubernetesClient_carries_an_http_request_to_the_local_server_and_its_answer_back()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        await using var target = await TargetServer.StartAsync("orders");
        standIn.SetImageBehaviour(Image, ImageBehaviour.Runs(target.Endpoint));
        using var client = standIn.CreateClient();
        var pod = await ReadyPodAsync(standIn, client);

        for (var i = 1; i <= 2; i++)
        {
            using var socket = await client.WebSocketNamespacedPodPortForwardAsync(pod, Ns, [8080], PortForwardEndpoint.SubProtocol);
            Assert.Equal(PortForwardEndpoint.SubProtocol, socket.SubProtocol);
            using var demuxer = new StreamDemuxer(socket, StreamType.PortForward);
            using var stream = demuxer.GetStream((byte?)0, (byte?)0);
            demuxer.Start();

            // The server closes the connection after answering; the stand-in then closes the WebSocket: the stream ends.
            var response = await DemuxedStreams.ExchangeAsync(stream, "GET / HTTP/1.1\r\nHost: orders\r\nConnection: close\r\n\r\n");

            Assert.StartsWith("HTTP/1.1 200 OK\r\n", response);
            Assert.EndsWith("\r\n\r\nhello from orders", response);
            // One WebSocket is one forwarded TCP connection.
            Assert.Equal(i, target.ConnectionCount);
        }

        Assert.Equal(2, standIn.Requests.Count(r => r.PathAndQuery == $"/api/v1/namespaces/{Ns}/pods/{pod}/portforward?ports=8080" && r.Status == 101));
    }

    [Fact]
    public async Task Port_forward_to_a_pod_whose_server_refuses_reports_the_kubelets_error_on_the_error_channel_and_closes()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        // Nothing listens there: a test port is never one a parallel test's server gets from the OS (bind to port 0).
        standIn.SetImageBehaviour(Image, ImageBehaviour.Runs(new MeshDev.Runtime.ServiceEndpoint("127.0.0.1", TestPorts.Free())));
        using var client = standIn.CreateClient();
        var pod = await ReadyPodAsync(standIn, client);

        using var socket = await client.WebSocketNamespacedPodPortForwardAsync(pod, Ns, [8080], PortForwardEndpoint.SubProtocol);
        using var demuxer = new StreamDemuxer(socket, StreamType.PortForward);
        using var data = demuxer.GetStream((byte?)0, null);
        using var errors = demuxer.GetStream((byte?)1, null);
        demuxer.Start();

        var error = await DemuxedStreams.ReadToEndAsync(errors);
        Assert.StartsWith("error forwarding port 8080 to pod ", error);
        Assert.Contains("connect: connection refused", error);
        Assert.Equal("", await DemuxedStreams.ReadToEndAsync(data));
    }

    [Fact]
    public async Task Port_forward_requests_the_stand_in_cannot_serve_get_a_400_status_saying_why_and_a_forbidden_one_a_403()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        await using var target = await TargetServer.StartAsync("orders");
        standIn.SetImageBehaviour(Image, ImageBehaviour.Runs(target.Endpoint));
        using var client = standIn.CreateClient();
        var pod = await ReadyPodAsync(standIn, client);
        using var http = new HttpClient { BaseAddress = standIn.Server };
        var path = $"api/v1/namespaces/{Ns}/pods/{pod}/portforward?ports=8080";

        using (var spdy = new HttpRequestMessage(HttpMethod.Post, path))
        {
            spdy.Headers.Authorization = new AuthenticationHeaderValue("Bearer", standIn.Token);
            spdy.Headers.Connection.Add("Upgrade");
            spdy.Headers.Upgrade.Add(new ProductHeaderValue("SPDY", "3.1"));
            spdy.Headers.Add("X-Stream-Protocol-Version", "portforward.k8s.io");
            using var refused = await http.SendAsync(spdy);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("SPDY (portforward.k8s.io) is not supported", KubernetesJson.Deserialize<V1Status>(await refused.Content.ReadAsStringAsync()).Message);
        }

        using (var plain = new HttpRequestMessage(HttpMethod.Get, path))
        {
            plain.Headers.Authorization = new AuthenticationHeaderValue("Bearer", standIn.Token);
            using var refused = await http.SendAsync(plain);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("Upgrade request required", KubernetesJson.Deserialize<V1Status>(await refused.Content.ReadAsStringAsync()).Message);
        }

        standIn.Forbid("create", "pods/portforward", Ns);
        // As against a cluster, KubernetesClient surfaces a refused upgrade as the WebSocket's own error, naming the code.
        var forbidden = await Assert.ThrowsAsync<WebSocketException>(() => client.WebSocketNamespacedPodPortForwardAsync(pod, Ns, [8080], PortForwardEndpoint.SubProtocol));
        Assert.Contains("'403'", forbidden.Message);
        Assert.Contains(standIn.Requests, r => r.Path.EndsWith("/portforward", StringComparison.Ordinal) && r.Status == 403);
        Assert.Equal(0, target.ConnectionCount);
    }

    /// <summary>Runs one replica of the deployment and returns its pod's name once the pod is ready.</summary>
    private static async Task<string> ReadyPodAsync(KubernetesApiStandIn standIn, k8s.Kubernetes client)
    {
        await client.CoreV1.CreateNamespaceAsync(StandInObjects.Namespace(Ns));
        await client.AppsV1.CreateNamespacedDeploymentAsync(StandInObjects.Deployment("orders", Image, 1), Ns);
        await using var pods = new WatchedEvents<V1Pod>(token => client.CoreV1.WatchListNamespacedPodAsync(Ns, cancellationToken: token));
        var (_, ready) = await pods.NextAsync((_, p) => p.Status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true, "the pod ready");
        return ready.Metadata.Name;
    }
}
