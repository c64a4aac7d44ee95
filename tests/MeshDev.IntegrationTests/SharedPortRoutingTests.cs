using System.Net;
using System.Text.Json;
using MeshDev.Activation;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests;

/// <summary>The shared port (mesh.http) routes by Host header, by absolute-form URI (HTTP proxy clients) and by path prefix.</summary>
public sealed class SharedPortRoutingTests
{
    private static Task<TestMesh> StartShopAsync() => TestMesh.StartAsync(m => m
        .Service("orders", hosts: ["shop-orders"], paths: ["/env"])
        .Service("billing", paths: ["/whoami"]));

    [Fact]
    public async Task Host_header_selects_the_service_by_name_by_name_localhost_with_port_and_by_alias()
    {
        await using var mesh = await StartShopAsync();

        Assert.Equal("hello from orders", await GetViaSharedPortAsync(mesh, "orders", "/"));
        Assert.Equal("hello from orders", await GetViaSharedPortAsync(mesh, $"orders.localhost:{mesh.SharedPort}", "/"));
        Assert.Equal("hello from orders", await GetViaSharedPortAsync(mesh, "shop-orders", "/"));
        Assert.Equal("hello from billing", await GetViaSharedPortAsync(mesh, $"billing.localhost:{mesh.SharedPort}", "/"));

        // One launch each, however they were addressed.
        Assert.Equal(1, mesh.Service("orders").Launches);
        Assert.Equal(1, mesh.Service("billing").Launches);
    }

    [Fact]
    public async Task Path_prefix_on_127_0_0_1_selects_the_service_and_forwards_the_full_path()
    {
        await using var mesh = await StartShopAsync();

        // /env/* belongs to orders, /whoami to billing; the path reaches the service unchanged.
        Assert.Equal("orders", await mesh.Http.GetStringAsync($"http://127.0.0.1:{mesh.SharedPort}/env/MESHDEV_TEST_NAME"));
        Assert.Equal(ServiceState.Stopped, mesh.Service("billing").State);
        var whoami = JsonDocument.Parse(await mesh.Http.GetStringAsync($"http://127.0.0.1:{mesh.SharedPort}/whoami")).RootElement;
        Assert.Equal("billing", whoami.GetProperty("name").GetString());
        Assert.Equal(1, mesh.Service("orders").Launches);
        Assert.Equal(1, mesh.Service("billing").Launches);
    }

    [Fact]
    public async Task Curl_through_the_shared_port_as_http_proxy_reaches_the_service_named_in_the_absolute_uri()
    {
        await using var mesh = await StartShopAsync();

        var result = await CurlClient.RunAsync("-x", $"http://127.0.0.1:{mesh.SharedPort}", "http://orders/env/MESHDEV_TEST_NAME");

        Assert.True(result.ExitCode == 0, $"curl exited with {result.ExitCode}: {result.Verbose}");
        Assert.Equal(200, result.HttpStatus);
        Assert.Equal("orders", result.Body);
        // curl really sent the absolute form a proxy client sends.
        Assert.Contains("> GET http://orders/env/MESHDEV_TEST_NAME HTTP/1.1", result.Verbose);

        var alias = await CurlClient.RunAsync("-x", $"http://127.0.0.1:{mesh.SharedPort}", "http://shop-orders/");
        Assert.Equal(200, alias.HttpStatus);
        Assert.Equal("hello from orders", alias.Body);
        Assert.Equal(1, mesh.Service("orders").Launches);
        Assert.Equal(0, mesh.Service("billing").Launches);
    }

    private static async Task<string> GetViaSharedPortAsync(TestMesh mesh, string host, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{mesh.SharedPort}{path}");
        request.Headers.Host = host;
        using var response = await mesh.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Host {host}: {(int)response.StatusCode} {body}");
        return body;
    }
}
