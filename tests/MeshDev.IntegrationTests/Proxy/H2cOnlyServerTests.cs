using System.Net;
using MeshDev.IntegrationTests.GrpcTests.Infrastructure;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.Proxy;

/// <summary>
/// A server that speaks only HTTP/2 without TLS (Node's <c>http2.createServer</c>, no gRPC) behind the mesh: it answers an
/// HTTP/1.1 request line with its preface and closes, which made every plain request to it a 502. The mesh now sends
/// it HTTP/2, whatever version the caller spoke.
/// </summary>
public sealed class H2cOnlyServerTests
{
    // Answers with the version it saw and echoes a request body; never HTTP/1.x (no allowHTTP1).
    private const string Server = """
        const http2 = require('http2');
        http2.createServer((req, res) => {
          const chunks = [];
          req.on('data', c => chunks.push(c));
          req.on('end', () => res.end(`h2 ${req.httpVersion} ${req.method} ${req.url} ${Buffer.concat(chunks)}`));
        }).listen(+process.env.PORT, '127.0.0.1');
        """;

    [Fact]
    public async Task Http11_and_h2c_callers_reach_an_h2c_only_server_through_one_launch()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("alpha", command: "node", ready: "{ tcp: true }", hosts: ["alpha"],
            extra: [$"args: [\"-e\", {Quote(Server)}]"]));

        // The first request meets the HTTP/1.1 refusal and goes again over HTTP/2; the later ones go there at once.
        using var http1 = TestMesh.NewHttpClient();
        Assert.Equal("h2 2.0 GET /first?x=1 ", await http1.GetStringAsync(mesh.Url("alpha", "/first?x=1")));
        Assert.Equal("h2 2.0 GET /again ", await http1.GetStringAsync(mesh.Url("alpha", "/again")));

        using var post = await http1.PostAsync(mesh.Url("alpha", "/echo"), new StringContent("body"));
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.Equal("h2 2.0 POST /echo body", await post.Content.ReadAsStringAsync());

        using var h2c = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await h2c.GetAsync(mesh.Url("alpha", "/h2"));
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("h2 2.0 GET /h2 ", await response.Content.ReadAsStringAsync());

        Assert.Equal(1, mesh.Service("alpha").Launches);
    }

    [Fact]
    public async Task A_first_request_with_a_body_goes_again_over_http2_with_its_whole_body()
    {
        await using var mesh = await TestMesh.StartAsync(m => m
            .Service("alpha", command: "node", ready: "{ tcp: true }", hosts: ["alpha"], extra: [$"args: [\"-e\", {Quote(Server)}]"])
            .Service("beta", command: "node", ready: "{ tcp: true }", hosts: ["beta"], extra: [$"args: [\"-e\", {Quote(Server)}]"]));
        using var client = TestMesh.NewHttpClient();
        // Larger than a socket write: the HTTP/1.1 attempt has read it from the caller before the refusal comes.
        var body = new string('x', 40_000);

        // Each service's first request: the body was read by the refused HTTP/1.1 attempt and is sent again whole.
        using var first = await client.PostAsync(mesh.Url("alpha", "/one"), new StringContent(body));
        var chunked = await CurlClient.RunAsync("-H", "Transfer-Encoding: chunked", "--data-binary", "chunked body", mesh.Url("beta", "/chunked").ToString());
        using var second = await client.PostAsync(mesh.Url("alpha", "/two"), new StringContent("2"));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal($"h2 2.0 POST /one {body}", await first.Content.ReadAsStringAsync());
        Assert.Equal((200, "h2 2.0 POST /chunked chunked body"), (chunked.HttpStatus, chunked.Body));
        Assert.Contains("Transfer-Encoding: chunked", chunked.Verbose, StringComparison.Ordinal);
        Assert.Equal("h2 2.0 POST /two 2", await second.Content.ReadAsStringAsync());
        Assert.Equal(1, mesh.Service("alpha").Launches);
    }

    [Fact]
    public async Task A_first_post_to_the_kestrel_grpc_test_service_is_answered_by_the_service()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo"));

        // Kestrel with Http2 only: a path it does not serve. Its own 404 proves the body reached it over HTTP/2, where
        // the refused HTTP/1.1 attempt used to end in the mesh's 502.
        var post = await CurlClient.RunAsync("--data-binary", "a body", mesh.Url("echo", "/not-served").ToString());

        Assert.True(post.HttpStatus == 404, post.ToString());
        Assert.Equal(1, mesh.Service("echo").Launches);
    }

    private static string Quote(string script) => "\"" + script.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
}
