using System.Collections.Immutable;
using k8s;
using MeshDev.Activation;
using MeshDev.Kubernetes.Tests.ApiServer;

namespace MeshDev.Kubernetes.Tests.Runtime;

/// <summary>
/// The Kubernetes runtime against the API-server stand-in (no real API server can run here) whose kubelet really runs
/// the generated Deployment's container (<see cref="ImageBehaviour.Executes"/>): a real python3 process in the pod's
/// own network namespace, started with the command, args and env the runtime wrote, reached through the runtime's
/// port-forward. Needs root, as CI has.
/// </summary>
public sealed class RealPodStandInTests : IAsyncLifetime
{
    private const string Image = "shop/web:dev";

    /// <summary>Answers every GET with what it was started with: the env, its argument, the service it is.</summary>
    private const string Server = """
        import http.server, os, sys
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = f"{os.environ['GREETING']} from {os.environ['MESHDEV_SERVICE']}, argument {sys.argv[1]}".encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
        server = http.server.HTTPServer(("0.0.0.0", int(os.environ["PORT"])), Handler)
        print(f"listening on :{os.environ['PORT']}", flush=True)
        server.serve_forever()
        """;

    private StandInCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        Assert.True(NodeNetwork.RootProblem is null, NodeNetwork.RootProblem);
        _cluster = await StandInCluster.StartAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task StandIn_cold_call_runs_the_generated_Deployments_command_args_and_env_in_a_pod_namespace_and_forwards_to_it()
    {
        // The image's own entrypoint would fail: the manifest's command replaces it, as on a cluster.
        _cluster.ApiServer.SetImageBehaviour(Image, ImageBehaviour.Executes("/bin/false"));
        var service = StandInCluster.Service(image: Image) with
        {
            Command = RealPython.Path,
            Args = ["-c", Server, "port=${PORT}"],
            Env = new Dictionary<string, string> { ["GREETING"] = "hello" }.ToImmutableDictionary(),
        };
        var activator = _cluster.Activator(service, _cluster.Runtime());

        using (var lease = await StandInCluster.AcquireAsync(activator))
        {
            Assert.Equal("hello from orders, argument port=8080", await StandInCluster.CallAsync(lease));
        }

        Assert.Equal(ServiceState.Ready, activator.State);
        var pod = (await _cluster.Client.CoreV1.ListNamespacedPodAsync(StandInCluster.Namespace)).Items.Single();
        var network = _cluster.ApiServer.NetworkOf(StandInCluster.Namespace, pod.Metadata.Name)!;
        Assert.Equal(network.Address.ToString(), pod.Status.PodIP);
        Assert.Single(await network.ProcessesAsync());
        // The runtime follows the pod's log: the process's own line reaches the service's log.
        Assert.True(await StandInCluster.EventuallyAsync(() => Task.FromResult(activator.Log.Tail().Contains("listening on :8080"))));
    }
}
