using System.Diagnostics;
using System.Net.Http;
using MeshDev.Telemetry;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace MeshDev.Proxy.Forwarding;

/// <summary>
/// Copies the request and response as they are (YARP's header copy, hop-by-hop headers excepted), with the Host set
/// to the service's own address. No <c>X-Forwarded-*</c> headers: every caller is on this machine, so they would only
/// say "127.0.0.1", and they cost work on both sides of every call (devtools/bench). While the mesh exports traces
/// (<see cref="Traced"/>), the forwarded <c>traceparent</c> names the mesh's span as the parent; otherwise the caller's
/// arrives as it was sent.
/// </summary>
internal sealed class MeshTransformer : HttpTransformer
{
    public static readonly MeshTransformer Instance = new(traced: false);

    /// <summary>The transformer of a mesh that exports traces.</summary>
    public static readonly MeshTransformer Traced = new(traced: true);

    private const string TraceParent = "traceparent";

    private readonly bool _traced;

    private MeshTransformer(bool traced) => _traced = traced;

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
        proxyRequest.Headers.Host = null; // HttpClient then sends the destination's authority

        // The caller's tracestate was copied and still holds: the mesh's span continues the caller's trace.
        if (_traced && Activity.Current is { } span && span.Source.Name == MeshTelemetry.Name)
        {
            proxyRequest.Headers.Remove(TraceParent);
            proxyRequest.Headers.TryAddWithoutValidation(TraceParent, span.Id);
        }
    }
}
