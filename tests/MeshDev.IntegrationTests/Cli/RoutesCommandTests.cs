using System.Text.Json;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.Cli;

/// <summary><c>meshdev routes</c> end to end: the real CLI against a real detached daemon and real services.</summary>
public sealed class RoutesCommandTests
{
    [Fact]
    public async Task Routes_shows_listeners_routes_and_each_cluster_at_the_activator_until_its_service_is_ready()
    {
        await using var cli = new MeshdevCli();
        var manifest = new ManifestBuilder(cli.Tag)
            .Service("front", hosts: ["www"], paths: ["/front"])
            .Service("api");
        manifest.WriteTo(cli.Directory);
        await cli.RunOkAsync("up", "--detach");

        var text = (await cli.RunOkAsync("routes")).Stdout;
        Assert.Contains($"xDS 127.0.0.1:{manifest.XdsPort}", text);
        Assert.Contains($"activator 127.0.0.1:{manifest.MeshPorts["front"]}", text);
        Assert.Contains($"activator 127.0.0.1:{manifest.MeshPorts["api"]}", text);
        Assert.Contains("front, front.localhost, www", text);
        Assert.Contains("/front", text);

        using var http = TestMesh.NewHttpClient();
        await http.GetStringAsync($"http://127.0.0.1:{manifest.MeshPorts["front"]}/whoami");
        // The state is the activator's, the endpoints the routing table's, which follows the state changes a moment
        // later (its own feed): asked again until the table has caught up, bounded only against a hang.
        var routes = JsonDocument.Parse((await cli.RunOkAsync("routes", "--json")).Stdout).RootElement;
        using (var limit = new CancellationTokenSource(Eventually.Deadline))
        {
            while (Endpoints(Cluster(routes, "front")).All(e => e.StartsWith("activator ", StringComparison.Ordinal)) && !limit.IsCancellationRequested)
            {
                await Task.Delay(20, CancellationToken.None);
                routes = JsonDocument.Parse((await cli.RunOkAsync("routes", "--json")).Stdout).RootElement;
            }
        }

        var status = MeshdevCli.ServiceIn(await cli.StatusAsync(), "front");

        Assert.Equal(manifest.XdsPort, routes.GetProperty("xdsPort").GetInt32());
        Assert.Equal(
            [$"shared:{manifest.SharedPort}", $"front:{manifest.MeshPorts["front"]}", $"api:{manifest.MeshPorts["api"]}"],
            routes.GetProperty("listeners").EnumerateArray().Select(l => $"{l.GetProperty("name").GetString()}:{l.GetProperty("port").GetInt32()}"));
        var front = Cluster(routes, "front");
        Assert.Equal("ready", front.GetProperty("state").GetString());
        Assert.Equal([$"service {status.GetProperty("endpoint").GetString()}"], Endpoints(front));
        Assert.Equal([$"activator 127.0.0.1:{manifest.MeshPorts["api"]}"], Endpoints(Cluster(routes, "api")));
        Assert.Empty(routes.GetProperty("xds").GetProperty("clients").EnumerateArray());
    }

    [Fact]
    public async Task Routes_envoy_prints_a_bootstrap_for_the_manifest_xds_port_without_a_running_mesh()
    {
        await using var cli = new MeshdevCli();
        var manifest = new ManifestBuilder(cli.Tag).Service("front");
        manifest.WriteTo(cli.Directory);

        var bootstrap = (await cli.RunOkAsync("routes", "--envoy", "--port", "10123", "--node-id", "edge-proxy")).Stdout;

        Assert.Contains($"port_value: {manifest.XdsPort}", bootstrap);
        Assert.Contains("port_value: 10123", bootstrap);
        Assert.Contains("id: \"edge-proxy\"", bootstrap);
        Assert.Contains("route_config_name: meshdev.shared", bootstrap);
    }

    private static JsonElement Cluster(JsonElement routes, string name) =>
        routes.GetProperty("clusters").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    private static string[] Endpoints(JsonElement cluster) =>
        [.. cluster.GetProperty("endpoints").EnumerateArray().Select(e => $"{e.GetProperty("kind").GetString()} {e.GetProperty("address").GetString()}")];
}
