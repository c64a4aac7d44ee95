using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests;

/// <summary>What the shared port answers to requests it must not forward: unknown hosts, foreign absolute URIs, huge headers.</summary>
public sealed class ProxyEdgeCaseTests
{
    [Fact]
    public async Task Unknown_host_gets_a_404_problem_naming_the_known_services()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("orders").Service("billing"));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{mesh.SharedPort}/anything");
        request.Headers.Host = "nosuch";

        using var response = await mesh.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
        Assert.Equal(["billing", "orders"], problem.GetProperty("knownServices").EnumerateArray().Select(e => e.GetString()).Order());
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("nosuch", detail);
        Assert.Contains("orders", detail);
        Assert.Contains("billing", detail);
        AssertNothingLaunched(mesh);
    }

    [Fact]
    public async Task Absolute_form_request_for_a_host_outside_the_manifest_gets_404_and_is_not_forwarded()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("orders"));

        var response = await SendRawAsync(mesh.SharedPort, "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 404", response);
        Assert.Contains("application/problem+json", response);
        Assert.Contains("example.com", response);
        Assert.Contains("\"orders\"", response);
        AssertNothingLaunched(mesh);
    }

    [Fact]
    public async Task Oversized_request_headers_get_431_and_the_mesh_still_serves_the_next_request()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("orders"));
        var huge = new string('x', 64 * 1024);

        var response = await SendRawAsync(mesh.SharedPort, $"GET / HTTP/1.1\r\nHost: orders\r\nX-Huge: {huge}\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 431", response);
        AssertNothingLaunched(mesh);

        using var next = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{mesh.SharedPort}/");
        next.Headers.Host = "orders";
        using var answer = await mesh.Http.SendAsync(next);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("hello from orders", await answer.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_host_naming_a_tcp_service_gets_a_404_that_points_at_its_mesh_port()
    {
        // It used to say "Host 'echo' … match no service" and then list echo among the known services.
        await using var mesh = await TestMesh.StartAsync(m => m.Service("echo", command: "/bin/cat", ready: "{ tcp: true }", extra: ["protocol: tcp"]));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{mesh.SharedPort}/");
        request.Headers.Host = $"echo.localhost:{mesh.SharedPort}";

        using var response = await mesh.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("echo", problem.GetProperty("service").GetString());
        Assert.Equal(mesh.MeshPort("echo"), problem.GetProperty("meshPort").GetInt32());
        Assert.Contains($"is protocol: tcp, so the shared port {mesh.SharedPort} does not route HTTP to it by Host; connect to its mesh port {mesh.MeshPort("echo")}",
            problem.GetProperty("detail").GetString());
        AssertNothingLaunched(mesh);
    }

    private static void AssertNothingLaunched(TestMesh mesh)
    {
        Assert.All(mesh.Host.Activator.Services, s => Assert.Equal(0, s.Launches));
        Assert.Empty(mesh.Changes());
        Assert.Empty(mesh.FindTaggedProcesses());
    }

    /// <summary>Sends <paramref name="request"/> byte for byte on a fresh connection and reads until the server closes it.</summary>
    private static async Task<string> SendRawAsync(int port, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        using var timeout = new CancellationTokenSource(Eventually.Deadline);
        var bytes = Encoding.ASCII.GetBytes(request);
        var sending = stream.WriteAsync(bytes, timeout.Token).AsTask();
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException) when (received.Length > 0)
        {
            // The server may reset a connection whose request it did not read to the end; the answer came first.
        }

        try
        {
            await sending;
        }
        catch (IOException)
        {
            // Same: the server stopped reading a request it refused.
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }
}
