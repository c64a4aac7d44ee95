using System.Net;
using MeshDev.Testing.Docker;

namespace MeshDev.Proxy.Tests.Hpack;

/// <summary>
/// The decoder follows real encoders through several requests on one h2c connection: .NET's HttpClient (static table
/// and plain literals, never indexing) and nghttp2's client (dynamic table and Huffman), as gRPC clients use them.
/// </summary>
public sealed class HpackDecoderRealEncoderTests
{
    private const string Tenant = "the same tenant on every call";

    private static readonly (string Method, string Path)[] Calls =
    [
        ("POST", "/greet.Greeter/SayHello"),
        ("POST", "/greet.Greeter/SayHello"),
        ("GET", "/health"),
        ("POST", "/greet.Greeter/SayGoodbye"),
        ("PUT", "/orders/42?expand=lines&trace=%E2%9C%93"),
    ];

    [Fact]
    public async Task Every_request_header_block_of_an_HttpClient_connection_decodes_to_what_was_sent()
    {
        await using var capture = new Http2HeaderCapture();

        using (var client = new HttpClient(new SocketsHttpHandler()))
        {
            for (var i = 0; i < Calls.Length; i++)
            {
                var uri = $"http://127.0.0.1:{capture.Port}{Calls[i].Path}";
                using var request = new HttpRequestMessage(new HttpMethod(Calls[i].Method), uri)
                {
                    // h2c with prior knowledge, as a gRPC client speaks to a service.
                    Version = HttpVersion.Version20,
                    VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                };
                request.Headers.Add("x-mesh-call", $"call-{i}");
                request.Headers.Add("x-mesh-tenant", Tenant);
                using var response = await client.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(HttpVersion.Version20, response.Version);
            }
        }

        await capture.WaitForCloseAsync();
        Assert.Equal(Calls.Length, capture.Requests.Count);
        for (var i = 0; i < Calls.Length; i++)
        {
            AssertRequest(capture, i, Calls[i].Method, Calls[i].Path, $"call-{i}");
        }
    }

    [Fact]
    public async Task Every_request_header_block_of_an_nghttp2_connection_decodes_to_what_was_sent()
    {
        await using var capture = new Http2HeaderCapture();

        // nghttp2's own client (curl 7.88.1 cannot reuse an h2c connection: curl/curl#10634) sends every URI on one
        // connection and indexes what it sends, so the later blocks are decoded through the dynamic table. Its -H
        // applies to every request: the call number travels in the path.
        var paths = Calls.Select((call, i) => $"{call.Path}{(call.Path.Contains('?') ? '&' : '?')}call={i}").ToList();
        var arguments = new List<string> { "-n", "--no-dep", "-t", "30", "-H", $"x-mesh-tenant: {Tenant}" };
        arguments.AddRange(paths.Select(path => $"http://127.0.0.1:{capture.Port}{path}"));

        var (exitCode, output) =
            await ChildProcess.RunAsync("nghttp", arguments, AppContext.BaseDirectory, CancellationToken.None);

        Assert.True(exitCode == 0, $"nghttp exited {exitCode}: {output}");
        await capture.WaitForCloseAsync();
        Assert.Equal(Calls.Length, capture.Requests.Count);
        for (var i = 0; i < Calls.Length; i++)
        {
            AssertRequest(capture, i, "GET", paths[i], callHeader: null);
        }

        Assert.Contains(("x-mesh-tenant", Tenant), HeaderList.Table(capture.Decoder));
    }

    private static void AssertRequest(Http2HeaderCapture capture, int i, string method, string path, string? callHeader)
    {
        var fields = capture.Requests[i];
        Assert.Equal([method], Values(fields, ":method"));
        Assert.Equal([path], Values(fields, ":path"));
        Assert.Equal([$"127.0.0.1:{capture.Port}"], Values(fields, ":authority"));
        Assert.Equal(["http"], Values(fields, ":scheme"));
        Assert.Equal(callHeader is null ? [] : [callHeader], Values(fields, "x-mesh-call"));
        Assert.Equal([Tenant], Values(fields, "x-mesh-tenant"));
    }

    private static List<string> Values(List<(string Name, string Value)> fields, string name) =>
        fields.Where(f => f.Name == name).Select(f => f.Value).ToList();
}
