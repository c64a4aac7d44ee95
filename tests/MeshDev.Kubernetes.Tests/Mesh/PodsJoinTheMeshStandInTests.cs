using System.Net;
using k8s;
using MeshDev.Activation;
using MeshDev.Testing;
using MeshDev.Testing.Docker;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Kubernetes.Tests.Mesh;

/// <summary>
/// Issue 14 end to end, against the API-server stand-in (no real API server can run here; devtools/k8s-smoke.sh runs
/// the same on a real cluster): pods run their real processes in their own network namespaces, and reach the laptop's
/// services only through the link the laptop opened to their gateway sidecar.
/// </summary>
[Collection(WholeMeshCollection.Name)]
public sealed class PodsJoinTheMeshStandInTests
{
    private static Task<string> GetAsync(Uri url) => ClusterMesh.GetOkAsync(url);

    [Fact]
    public async Task StandIn_twenty_concurrent_cold_calls_from_a_pod_launch_the_stopped_laptop_process_once()
    {
        await using var mesh = await ClusterMesh.StartAsync(new Dictionary<string, string> { ["orders"] = "kubernetes", ["users"] = "process" });
        try
        {
            // The pod comes up (a cold call from the laptop), then calls a laptop service that is not running, 20 times at once.
            Assert.Equal("hello from orders", await GetAsync(mesh.Url("orders")));
            Assert.Equal(ServiceState.Stopped, mesh.Service("users").State);

            var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => GetAsync(mesh.Url("orders", "/callservice/users"))));

            Assert.All(answers, a => Assert.Contains("hello from users", a, StringComparison.Ordinal));
            Assert.Equal(1, mesh.Service("users").Launches);
            Assert.Equal(LaunchReasonKind.Call, mesh.Service("users").Reason?.Kind);
            Assert.Equal("orders", mesh.Service("users").Reason?.Service);
            var edge = mesh.Host.CallGraph.Snapshot().Edges.Single(e => e.To == "users");
            Assert.Equal("orders", edge.From);
            Assert.Equal(20, edge.Count);
            Assert.Contains("connected", mesh.Host.GetStatus().Services.Single(s => s.Name == "orders").Link, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"{e.Message}\norders log:\n{mesh.LogOf("orders")}\nusers log:\n{mesh.LogOf("users")}", e);
        }
    }

    [Fact]
    public async Task StandIn_a_pod_calls_a_stopped_pod_through_the_laptop_then_directly_and_the_direct_calls_still_count()
    {
        await using var mesh = await ClusterMesh.StartAsync(new Dictionary<string, string> { ["orders"] = "kubernetes", ["stock"] = "kubernetes" });
        try
        {
            Assert.Equal("hello from orders", await GetAsync(mesh.Url("orders")));

            // Cold: through the link to the laptop, which scales stock up and forwards to it.
            Assert.Contains("hello from stock", await GetAsync(mesh.Url("orders", "/callservice/stock")), StringComparison.Ordinal);
            Assert.Equal(1, mesh.Service("stock").Launches);
            Assert.Equal("orders", mesh.Service("stock").Reason?.Service);
            var throughLaptop = mesh.Service("stock").Requests;

            // Warm: stock's pod address has reached orders' gateway; its calls go pod to pod and are reported.
            await WaitUntilAsync(() => mesh.Kubernetes.DirectRoutes.ContainsKey(mesh.MeshPorts["stock"]), "stock's pod is published as a direct route");
            for (var i = 0; i < 10; i++)
            {
                Assert.Contains("hello from stock", await GetAsync(mesh.Url("orders", "/callservice/stock")), StringComparison.Ordinal);
            }

            await WaitUntilAsync(() => mesh.Service("stock").Requests >= throughLaptop + 10, "the direct calls are counted");
            var graph = mesh.Host.CallGraph.Snapshot();
            var edge = graph.Edges.Single(e => e.To == "stock");
            Assert.Equal("orders", edge.From);
            Assert.Equal(11, edge.Count);
            // Only the cold call passed the laptop's proxy (its connection was closed after it, so the client's pool
            // did not keep using the link); the ten warm ones went pod to pod and were reported.
            Assert.Equal(1, graph.Recent.Count(r => r.Service == "stock"));
            Assert.Equal(1, mesh.Service("stock").Launches);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"{e.Message}\norders log:\n{mesh.LogOf("orders")}\nstock log:\n{mesh.LogOf("stock")}", e);
        }
    }

    [Fact]
    public async Task StandIn_a_pod_calls_the_service_the_developer_runs_in_the_IDE()
    {
        // The developer's own run of payments (as an IDE starts it): listening on its fixed port before the mesh starts.
        await using var ide = LoopbackKestrel.CreateBuilder().Build();
        ide.Run(context => context.Response.WriteAsync("hello from the IDE"));
        var idePort = await LoopbackKestrel.StartAsync(ide);
        await using var mesh = await ClusterMesh.StartAsync(
            new Dictionary<string, string> { ["orders"] = "kubernetes", ["payments"] = "external" },
            new Dictionary<string, int> { ["payments"] = idePort });

        Assert.Contains("hello from the IDE", await GetAsync(mesh.Url("orders", "/callservice/payments")), StringComparison.Ordinal);
        Assert.Equal(ServiceState.External, mesh.Service("payments").State);
        Assert.Equal(0, mesh.Service("payments").Launches);
        Assert.Equal("orders", mesh.Host.CallGraph.Snapshot().Edges.Single(e => e.To == "payments").From);
    }

    [Fact]
    public async Task StandIn_a_cold_chain_laptop_to_pod_to_laptop_to_pod_launches_each_once()
    {
        await using var mesh = await ClusterMesh.StartAsync(new Dictionary<string, string>
        {
            ["web"] = "process", ["orders"] = "kubernetes", ["users"] = "process", ["stock"] = "kubernetes",
        });

        // web (laptop) -> orders (pod) -> users (laptop) -> stock (pod), all stopped: one request starts the chain.
        var path = "/callservice/orders?path=" + Uri.EscapeDataString("/callservice/users?path=" + Uri.EscapeDataString("/callservice/stock"));
        var answer = await GetAsync(mesh.Url("web", path));

        Assert.Contains("hello from stock", answer, StringComparison.Ordinal);
        foreach (var service in new[] { "web", "orders", "users", "stock" })
        {
            Assert.Equal(1, mesh.Service(service).Launches);
        }

        var edges = mesh.Host.CallGraph.Snapshot().Edges.Select(e => $"{e.From}->{e.To}").Order();
        Assert.Equal(["external->web", "orders->users", "users->stock", "web->orders"], edges);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task StandIn_a_lost_link_fails_the_pods_calls_at_once_and_comes_back_by_itself()
    {
        await using var mesh = await ClusterMesh.StartAsync(new Dictionary<string, string> { ["orders"] = "kubernetes", ["users"] = "process" });
        Assert.Contains("hello from users", await GetAsync(mesh.Url("orders", "/callservice/users")), StringComparison.Ordinal);
        var pod = mesh.ApiServer.NetworkOf("meshdev-alice", mesh.PodOf("orders"))!;
        var users = $"http://127.0.0.1:{mesh.MeshPorts["users"]}/";

        // A call in the middle of its answer when the link goes: it ends at once, with an error, not a hang.
        var midCall = ClusterMesh.Http.GetAsync(mesh.Url("orders", "/callservice/users?path=" + Uri.EscapeDataString("/slow?ms=20000")));
        await WaitUntilAsync(() => mesh.Service("users").InFlight > 0, "the slow call reached users");
        mesh.ApiServer.Forbid("create", "pods/portforward", "meshdev-alice");
        mesh.ApiServer.CutPortForwards();
        using (var cut = await midCall)
        {
            Assert.False(cut.IsSuccessStatusCode);
        }

        // While the link is down, the pod's own calls to the laptop get the gateway's answer at once.
        await WaitUntilAsync(() => mesh.Status("orders").Link?.Contains("down", StringComparison.Ordinal) == true, "status shows the link down");
        var down = await pod.RunAsync(["curl", "-s", "--max-time", "20", "-w", "\n%{http_code}", users]);
        Assert.EndsWith("503", down.Output.TrimEnd(), StringComparison.Ordinal);
        Assert.Contains("the developer's mesh is not connected", down.Output, StringComparison.Ordinal);

        // The API server lets port-forwards through again: the link comes back with no one doing anything.
        mesh.ApiServer.Allow("create", "pods/portforward", "meshdev-alice");
        await WaitUntilAsync(() => mesh.Status("orders").Link?.Contains("connected", StringComparison.Ordinal) == true, "the link is connected again");
        var back = await pod.RunAsync(["curl", "-s", "--max-time", "20", users]);
        Assert.Equal("hello from users", back.Output);
    }

    [Theory]
    [InlineData("unary")]
    [InlineData("server-stream")]
    [InlineData("client-stream")]
    [InlineData("bidi")]
    public async Task StandIn_a_grpc_client_in_a_pod_calls_a_stopped_laptop_service_through_the_link(string scenario)
    {
        await using var mesh = await ClusterMesh.StartAsync(new Dictionary<string, string> { ["orders"] = "kubernetes", ["echo"] = "grpc" });
        Assert.Equal("hello from orders", await GetAsync(mesh.Url("orders")));
        var pod = mesh.ApiServer.NetworkOf("meshdev-alice", mesh.PodOf("orders"))!;

        // @grpc/grpc-js, run inside the pod's network namespace, dials the mesh port on the pod's own 127.0.0.1: the gateway.
        var result = await pod.RunAsync(["node", TestPrograms.EchoClientJs, "--target", $"127.0.0.1:{mesh.MeshPorts["echo"]}", "--scenario", scenario]);

        using var json = System.Text.Json.JsonDocument.Parse(result.Output);
        Assert.True(json.RootElement.GetProperty("ok").GetBoolean(), result.Output + result.Error);
        Assert.Equal(1, mesh.Service("echo").Launches);
        Assert.Equal("orders", mesh.Service("echo").Reason?.Service);
    }

    [Fact]
    public async Task StandIn_server_sent_events_from_a_laptop_service_reach_a_pod_through_the_link()
    {
        await using var mesh = await ClusterMesh.StartAsync(new Dictionary<string, string> { ["orders"] = "kubernetes", ["users"] = "process" });
        Assert.Equal("hello from orders", await GetAsync(mesh.Url("orders")));
        var pod = mesh.ApiServer.NetworkOf("meshdev-alice", mesh.PodOf("orders"))!;

        var result = await pod.RunAsync(["curl", "-sN", "--max-time", "30", $"http://127.0.0.1:{mesh.MeshPorts["users"]}/events?count=5&intervalMs=50"]);

        Assert.Equal(Enumerable.Range(1, 5).Select(i => $"data: event {i}"), result.Output.Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task StandIn_a_pod_gets_the_same_discovery_variables_as_a_laptop_process()
    {
        await using var mesh = await ClusterMesh.StartAsync(new Dictionary<string, string> { ["orders"] = "kubernetes", ["users"] = "process", ["order-events"] = "process" });

        foreach (var service in new[] { "orders", "users", "order-events" })
        {
            var expected = $"http://127.0.0.1:{mesh.MeshPorts[service]}";
            var upper = service.ToUpperInvariant().Replace('-', '_');
            Assert.Equal(expected, await GetAsync(mesh.Url("orders", $"/env/services__{service}__http__0")));
            Assert.Equal(expected, await GetAsync(mesh.Url("orders", $"/env/{upper}_HTTP")));
            // The laptop process sees the very same values.
            Assert.Equal(expected, await GetAsync(mesh.Url("users", $"/env/services__{service}__http__0")));
        }

        Assert.Equal("orders", await GetAsync(mesh.Url("orders", "/env/MESHDEV_SERVICE")));
    }

    [Fact]
    public async Task StandIn_a_pod_calling_a_laptop_service_that_fails_to_launch_gets_the_cause_and_its_last_lines()
    {
        await using var mesh = await ClusterMesh.StartAsync(new Dictionary<string, string> { ["orders"] = "kubernetes", ["broken"] = "crashing" });
        Assert.Equal("hello from orders", await GetAsync(mesh.Url("orders")));

        using var response = await ClusterMesh.Http.GetAsync(mesh.Url("orders", "/callservice/broken"));

        // The pod's app passes on what it got through its gateway: the mesh's 503, as a laptop caller gets it.
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("exited with code 3", body, StringComparison.Ordinal);
        Assert.Contains("fatal: config missing", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StandIn_a_grpc_client_in_a_pod_gets_UNAVAILABLE_with_the_cause_when_the_laptop_service_fails_to_launch()
    {
        await using var mesh = await ClusterMesh.StartAsync(new Dictionary<string, string> { ["orders"] = "kubernetes", ["echo"] = "grpc-crashing" });
        Assert.Equal("hello from orders", await GetAsync(mesh.Url("orders")));
        var pod = mesh.ApiServer.NetworkOf("meshdev-alice", mesh.PodOf("orders"))!;

        var result = await pod.RunAsync(["node", TestPrograms.EchoClientJs, "--target", $"127.0.0.1:{mesh.MeshPorts["echo"]}", "--scenario", "unary"]);

        using var json = System.Text.Json.JsonDocument.Parse(result.Output);
        Assert.Equal(14, json.RootElement.GetProperty("code").GetInt32());
        var details = json.RootElement.GetProperty("details").GetString()!;
        Assert.Contains("exited with code 3", details, StringComparison.Ordinal);
        Assert.Contains("fatal: grpc config missing", details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StandIn_a_websocket_from_a_pod_reaches_a_stopped_laptop_service()
    {
        await using var mesh = await ClusterMesh.StartAsync(new Dictionary<string, string> { ["orders"] = "kubernetes", ["users"] = "process" });

        Assert.Equal("echo: hello over the link", await GetAsync(mesh.Url("orders", "/wscall/users?text=" + Uri.EscapeDataString("hello over the link"))));
        Assert.Equal(1, mesh.Service("users").Launches);
    }

    [Fact]
    public async Task StandIn_a_direct_call_between_pods_holds_the_called_pod_past_its_idle_timeout()
    {
        await using var mesh = await ClusterMesh.StartAsync(
            new Dictionary<string, string> { ["orders"] = "kubernetes", ["stock"] = "kubernetes" },
            extra: new Dictionary<string, string> { ["stock"] = "idleTimeout: 2s" });
        Assert.Contains("hello from stock", await GetAsync(mesh.Url("orders", "/callservice/stock")), StringComparison.Ordinal);
        await WaitUntilAsync(() => mesh.Kubernetes.DirectRoutes.ContainsKey(mesh.MeshPorts["stock"]), "stock's pod is published as a direct route");

        // A call that lasts three idle timeouts, pod to pod: the laptop never sees its bytes, only the gateway's report.
        Assert.Equal("done", await GetAsync(mesh.Url("orders", "/callservice/stock?path=" + Uri.EscapeDataString("/slow?ms=6000"))));
        Assert.DoesNotContain(mesh.Host.CallGraph.Snapshot().Recent, r => r.Service == "stock" && r.Path == "/slow");

        Assert.Equal(ServiceState.Ready, mesh.Service("stock").State);
        Assert.Equal(1, mesh.Service("stock").Launches);
        // Once nothing calls it, it idles out as usual.
        await WaitUntilAsync(() => mesh.Service("stock").State == ServiceState.Stopped, "stock stops once idle");
    }

    [Fact]
    public async Task StandIn_down_leaves_no_pod_and_down_purge_leaves_no_object_of_the_mesh()
    {
        await using var mesh = await ClusterMesh.StartAsync(new Dictionary<string, string> { ["orders"] = "kubernetes", ["stock"] = "kubernetes", ["users"] = "process" });
        Assert.Contains("hello from stock", await GetAsync(mesh.Url("orders", "/callservice/stock")), StringComparison.Ordinal);
        Assert.Contains("hello from users", await GetAsync(mesh.Url("orders", "/callservice/users")), StringComparison.Ordinal);
        using var client = mesh.ApiServer.CreateClient();
        var podNetworks = new[] { "orders", "stock" }.Select(s => mesh.ApiServer.NetworkOf("meshdev-alice", mesh.PodOf(s))!.Path).ToList();

        await mesh.StopMeshAsync();

        // down: the Deployments stay, at 0, and their pods (app and gateway processes, namespaces) are gone.
        var deployments = (await client.AppsV1.ListNamespacedDeploymentAsync("meshdev-alice")).Items;
        Assert.Equal(["orders", "stock"], deployments.Select(d => d.Metadata.Name).Order());
        Assert.All(deployments, d => Assert.Equal(0, d.Spec.Replicas));
        await WaitUntilAsync(() => client.CoreV1.ListNamespacedPod("meshdev-alice").Items.Count == 0, "the pods are gone");
        await WaitUntilAsync(() => !podNetworks.Any(File.Exists), "the pods' network namespaces are gone");

        // down --purge: nothing of the mesh is left, the namespace MeshDev created included.
        var cleanup = await MeshObjects.PurgeAsync(mesh.Manifest, mesh.Options.MeshId, mesh.Options);
        Assert.Empty(cleanup.Problems);
        Assert.Equal(["meshdev-alice"], cleanup.DeletedNamespaces);
        Assert.DoesNotContain((await client.CoreV1.ListNamespaceAsync()).Items, n => n.Metadata.Name == "meshdev-alice" && n.Metadata.DeletionTimestamp is null);
    }

    [Fact]
    public async Task StandIn_a_pod_of_the_teams_own_manifests_gets_the_gateway_and_calls_a_stopped_laptop_service()
    {
        await using var mesh = await ClusterMesh.StartAsync(new Dictionary<string, string> { ["billing"] = "team-manifest", ["users"] = "process" });

        Assert.Equal($"http://127.0.0.1:{mesh.MeshPorts["users"]}", await GetAsync(mesh.Url("billing", "/env/services__users__http__0")));
        Assert.Contains("hello from users", await GetAsync(mesh.Url("billing", "/callservice/users")), StringComparison.Ordinal);
        Assert.Equal("billing", mesh.Service("users").Reason?.Service);
        // The file's own env is kept as written.
        Assert.Equal("billing", await GetAsync(mesh.Url("billing", "/env/MESHDEV_TEST_NAME")));
    }

    [Fact]
    public async Task StandIn_a_pod_calls_a_stopped_container_which_the_laptop_launches_once()
    {
        // The real Docker engine and the NativeAOT test image the Docker tests use (built once, shared between test runs).
        var images = new TestImages(new NoDiagnostics());
        await images.InitializeAsync();
        try
        {
            await using var mesh = await ClusterMesh.StartAsync(
                new Dictionary<string, string> { ["orders"] = "kubernetes", ["inventory"] = "container" }, containerImage: images.DotnetAot);

            var answers = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => GetAsync(mesh.Url("orders", "/callservice/inventory"))));

            Assert.All(answers, a => Assert.Contains("inventory: hello from pid", a, StringComparison.Ordinal));
            Assert.Equal(1, mesh.Service("inventory").Launches);
            Assert.Equal("orders", mesh.Service("inventory").Reason?.Service);
        }
        finally
        {
            await images.DisposeAsync();
        }
    }

    private sealed class NoDiagnostics : Xunit.LongLivedMarshalByRefObject, Xunit.Abstractions.IMessageSink
    {
        public bool OnMessage(Xunit.Abstractions.IMessageSinkMessage message) => true;
    }
}
