using System.Net;
using System.Net.Sockets;
using System.Text;
using MeshDev.Activation;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.Proxy;

/// <summary>
/// A client's mistake is answered as the client's (4xx from the mesh, the service not blamed and not disturbed); the
/// requests are sent byte for byte, as a broken or hostile client would.
/// </summary>
public sealed class ClientErrorTests
{
    [Fact]
    public async Task Malformed_chunk_size_gets_400_as_the_clients_mistake_and_the_service_stays_ready()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("alpha", hosts: ["alpha"]));
        Assert.Equal("hello from alpha", await mesh.GetStringAsync("alpha"));

        var response = await SendRawAsync(mesh.SharedPort,
            "POST /echo HTTP/1.1\r\nHost: alpha\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\nbad\r\n0\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", response);
        Assert.Contains("application/problem+json", response);
        Assert.Contains("Fix the client; the service did not see the request", response);
        Assert.DoesNotContain("did not answer", response);
        Assert.Equal(ServiceState.Ready, mesh.Service("alpha").State);
        Assert.Equal(1, mesh.Service("alpha").Launches);
    }

    [Fact]
    public async Task Connect_to_a_manifest_service_gets_405_with_the_fix_and_launches_nothing()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("orders", hosts: ["orders"]));

        var response = await SendRawAsync(mesh.SharedPort, "CONNECT orders:443 HTTP/1.1\r\nHost: orders:443\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 405", response);
        Assert.Contains("Use http://orders instead of https", response);
        Assert.Equal(0, mesh.Service("orders").Launches);
    }

    [Fact]
    public async Task Connect_to_a_host_outside_the_manifest_is_refused_too()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("orders"));

        var response = await SendRawAsync(mesh.SharedPort, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 405", response);
        Assert.Equal(0, mesh.Service("orders").Launches);
    }

    [Theory]
    [InlineData("alpha:99999")]
    [InlineData("alpha:0")]
    [InlineData("alpha:http")]
    public async Task Host_with_an_impossible_port_gets_400_and_launches_nothing(string host)
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("alpha", hosts: ["alpha"]));

        var response = await SendRawAsync(mesh.SharedPort, $"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", response);
        Assert.Equal(0, mesh.Service("alpha").Launches);
    }

    [Fact]
    public async Task A_service_silent_past_its_request_timeout_gets_504_naming_it_and_stays_ready()
    {
        // The warm-up call below is held to the same timeout: long enough for a service just started on a loaded machine.
        await using var mesh = await TestMesh.StartAsync(m => m.Service("alpha", extra: ["requestTimeout: 3s"]));
        Assert.Equal("hello from alpha", await mesh.GetStringAsync("alpha"));

        using var response = await mesh.Http.GetAsync(mesh.Url("alpha", "/slow?ms=600000"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("Service 'alpha' sent nothing for 3 s (its requestTimeout)", body);
        Assert.Equal(ServiceState.Ready, mesh.Service("alpha").State);
    }

    [Fact]
    public async Task Problem_bodies_are_readable_json_with_plain_apostrophes()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("alpha"));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{mesh.SharedPort}/");
        request.Headers.Host = "nosuch";

        using var response = await mesh.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Host 'nosuch'", body);
        Assert.DoesNotContain("\\u0027", body);
    }

    /// <summary>Sends <paramref name="request"/> byte for byte on a fresh connection; reads until the server closes it or one response arrived.</summary>
    private static async Task<string> SendRawAsync(int port, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        using var timeout = new CancellationTokenSource(Eventually.Deadline);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), timeout.Token);
        var received = new StringBuilder();
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Append(Encoding.ASCII.GetString(buffer, 0, read));
                if (HasCompleteResponse(received.ToString()))
                {
                    break;
                }
            }
        }
        catch (IOException) when (received.Length > 0)
        {
            // A server may reset a connection whose request it did not read to the end; the answer came first.
        }

        return received.ToString();
    }

    private static bool HasCompleteResponse(string text)
    {
        var headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headerEnd < 0)
        {
            return false;
        }

        var lengthLine = text[..headerEnd].Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        return lengthLine is not null && text.Length - headerEnd - 4 >= int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
