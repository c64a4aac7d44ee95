namespace MeshDev.Runtime;

/// <summary>Ready once <c>GET {path}</c> answers 2xx or 3xx (redirects are not followed: a redirect already proves the app is serving).</summary>
public sealed class HttpReadinessProbe : IReadinessProbe
{
    // One client for all probes, and no proxy: an HTTP_PROXY pointing at the mesh itself must not route a probe back
    // through the activator.
    private static readonly HttpClient Client = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        ConnectTimeout = ReadinessProbe.AttemptTimeout,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public HttpReadinessProbe(string path)
    {
        Path = path.StartsWith('/') ? path : "/" + path;
    }

    public string Path { get; }

    public ValueTask<bool> ProbeAsync(ServiceEndpoint endpoint, CancellationToken cancellationToken) =>
        ReadinessProbe.AttemptAsync(async attempt =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(endpoint.HttpUri, Path));
            // A loopback connect costs microseconds; an idle keep-alive connection left behind can hold up a server's
            // graceful shutdown (Node's server.close waits for it) and outlives the instance it was made to.
            request.Headers.ConnectionClose = true;
            using var response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attempt).ConfigureAwait(false);
            return (int)response.StatusCode is >= 200 and < 400;
        }, cancellationToken);

    public override string ToString() => $"http {Path}";
}
