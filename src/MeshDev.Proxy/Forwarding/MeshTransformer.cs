using System.Net.Http;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace MeshDev.Proxy.Forwarding;

/// <summary>
/// Copies the request and response as they are (YARP's header copy, hop-by-hop headers excepted), with the Host set
/// to the service's own address. No <c>X-Forwarded-*</c> headers: every caller is on this machine, so they would only
/// say "127.0.0.1", and they cost work on both sides of every call (devtools/bench).
/// </summary>
internal sealed class MeshTransformer : HttpTransformer
{
    public static readonly MeshTransformer Instance = new();

    private MeshTransformer()
    {
    }

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
        proxyRequest.Headers.Host = null; // HttpClient then sends the destination's authority
    }
}
