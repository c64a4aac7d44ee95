using System.Collections.Concurrent;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using MeshDev.Activation;
using MeshDev.Calls;
using MeshDev.Catalog;
using MeshDev.Runtime;
using MeshDev.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace MeshDev.Proxy.Forwarding;

/// <summary>
/// Sends a request the mesh has routed to the instance it was given, with YARP's <see cref="IHttpForwarder"/> and the
/// mesh's own clients (<see cref="ServiceClients"/>): HTTP/2 exactly for gRPC and for instances found to speak only
/// HTTP/2, HTTP/1.1 otherwise. A request that failed before the service saw it is sent again when that is safe (see
/// <see cref="CanRetry"/>).
/// </summary>
/// <param name="telemetry">Present while the mesh exports traces: the forwarded traceparent then names the mesh's span.</param>
public sealed class ServiceForwarder(IHttpForwarder forwarder, ServiceClients clients, MeshTelemetry? telemetry = null)
{
    private readonly MeshTransformer _transformer = telemetry is null ? MeshTransformer.Instance : MeshTransformer.Traced;

    /// <summary>How often a request is sent again after a failure the service cannot have seen.</summary>
    internal const int MaxRetries = 2;

    /// <summary>Long enough for server-sent events and long polls with quiet gaps, when the service sets no <c>requestTimeout</c>.</summary>
    internal static readonly TimeSpan DefaultActivityTimeout = TimeSpan.FromHours(1);

    // Auto ports change with every launch; past this many the cache starts over (the live ones come back at once).
    private const int MaxCachedPrefixes = 256;

    private readonly ConcurrentDictionary<ServiceEndpoint, string> _prefixes = new();
    // Per address, what an instance answered HTTP/1.1 with: true for an HTTP/2 preface (h2c only), false for HTTP/1.x.
    // Bounded like the prefixes. One lookup per request tells both whether to send HTTP/2 and whether it is still unknown.
    private readonly ConcurrentDictionary<ServiceEndpoint, bool> _http2Only = new();
    private readonly ConcurrentDictionary<string, (ForwarderRequestConfig Http, ForwarderRequestConfig Http2)> _configs = new(StringComparer.Ordinal);

    /// <summary>
    /// Forwards the request; returns <see cref="ForwarderError.None"/> or what went wrong, with nothing written to the
    /// client yet when <see cref="HttpResponse.HasStarted"/> is false.
    /// </summary>
    /// <param name="caller">The connection the request came on, as the middleware found it: a gRPC call takes its client by it.</param>
    public async ValueTask<ForwarderError> SendAsync(HttpContext context, ServiceSpec service, ServiceEndpoint endpoint, CallerConnection? caller, bool grpc)
    {
        var prefix = PrefixOf(endpoint);
        var configs = _configs.GetOrAdd(service.Name, static (_, s) => ConfigsFor(s), service);
        var known = _http2Only.TryGetValue(endpoint, out var http2Only);
        var http2 = grpc || http2Only;
        // Until the instance has answered HTTP/1.1 it may speak only h2c, and it refuses a request only after the
        // HTTP/1.1 attempt has read the body from the caller: the body's beginning is kept so it can go again.
        var replay = !known && !http2 && HasBody(context) ? ReplayableRequestBody.Wrap(context.Request) : null;
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                var error = await forwarder.SendAsync(
                    context, prefix, http2 ? clients.Http2(caller) : clients.Http1, http2 ? configs.Http2 : configs.Http, _transformer).ConfigureAwait(false);
                if (error == ForwarderError.None)
                {
                    if (!known && !http2)
                    {
                        Remember(endpoint, http2Only: false);
                    }

                    return error;
                }

                if (attempt == MaxRetries)
                {
                    return error;
                }

                if (!http2 && AnsweredWithHttp2(context))
                {
                    // The service refused the connection at its preface, so it acted on nothing: any method may go again,
                    // a body too while every byte read from the caller was kept (the next request goes over HTTP/2 at once).
                    Remember(endpoint, http2Only: true);
                    http2 = true;
                    if (!CanResend(context, replay))
                    {
                        return error;
                    }
                }
                else if (!CanRetry(context, error))
                {
                    return error;
                }

                // Nothing reached the service and nothing came back: as if this attempt had not happened.
                context.Features.Set<IForwarderErrorFeature>(null);
                context.Response.StatusCode = StatusCodes.Status200OK;
            }
        }
        finally
        {
            replay?.Restore(context.Request);
        }
    }

    /// <summary>
    /// A request is sent again only when the service cannot have acted on it: an idempotent method, no request body,
    /// no response byte received, and a connection that could not be opened or ended before answering.
    /// </summary>
    internal static bool CanRetry(HttpContext context, ForwarderError error)
    {
        if (error != ForwarderError.Request || !CanResend(context))
        {
            return false;
        }

        var request = context.Request;
        if (!(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method)
              || HttpMethods.IsTrace(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsDelete(request.Method)))
        {
            return false;
        }

        return NothingReachedService(context.Features.Get<IForwarderErrorFeature>()?.Exception);
    }

    /// <summary>
    /// Whether the request could go again at all: nothing answered to the caller yet, caller still there, and no body or
    /// one that <paramref name="replay"/> can start again from its first byte.
    /// </summary>
    private static bool CanResend(HttpContext context, ReplayableRequestBody? replay = null) =>
        !context.Response.HasStarted
        && !context.RequestAborted.IsCancellationRequested
        && (!HasBody(context) || replay?.Rewind() == true);

    private static bool HasBody(HttpContext context) => context.Features.Get<IHttpRequestBodyDetectionFeature>() is not { CanHaveBody: false };

    /// <summary>Whether the failure was the service answering HTTP/1.1 with an HTTP/2 preface (<see cref="Http2OnlyServiceException"/>).</summary>
    private static bool AnsweredWithHttp2(HttpContext context)
    {
        return Contains(context.Features.Get<IForwarderErrorFeature>()?.Exception);

        // A refusal while the body was being sent is reported beside the body's own error, in an AggregateException.
        static bool Contains(Exception? error) => error switch
        {
            null => false,
            Http2OnlyServiceException => true,
            AggregateException all => all.InnerExceptions.Any(Contains),
            _ => Contains(error.InnerException),
        };
    }

    private void Remember(ServiceEndpoint endpoint, bool http2Only)
    {
        if (_http2Only.Count >= MaxCachedPrefixes)
        {
            _http2Only.Clear();
        }

        _http2Only[endpoint] = http2Only;
    }

    /// <summary>Whether a failure happened before the service could see the request: refused connect, or closed before any answer.</summary>
    internal static bool NothingReachedService(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is NothingReceivedException || e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the service's address refused the connection: nothing listens there any more.</summary>
    public static bool IsConnectionRefused(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
            {
                return true;
            }
        }

        return false;
    }

    private string PrefixOf(ServiceEndpoint endpoint)
    {
        if (_prefixes.TryGetValue(endpoint, out var prefix))
        {
            return prefix;
        }

        if (_prefixes.Count >= MaxCachedPrefixes)
        {
            _prefixes.Clear();
        }

        return _prefixes.GetOrAdd(endpoint, static e => e.HttpUri.ToString());
    }

    /// <summary>How long the service may send nothing before the exchange ends with a 504.</summary>
    public static TimeSpan ActivityTimeoutOf(ServiceSpec service) => service.RequestTimeout ?? DefaultActivityTimeout;

    private static (ForwarderRequestConfig Http, ForwarderRequestConfig Http2) ConfigsFor(ServiceSpec service)
    {
        // YARP's activity timeout ends an exchange in which nothing moved for that long (504), which is what a
        // requestTimeout means for a hung service while streams with traffic go on.
        var activity = ActivityTimeoutOf(service);
        return (
            new ForwarderRequestConfig { ActivityTimeout = activity, Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionOrLower },
            // gRPC (and an h2c-only service) needs HTTP/2 end to end; over cleartext that is h2c with prior knowledge, which HttpClient only does
            // when asked for exactly 2.0.
            new ForwarderRequestConfig { ActivityTimeout = activity, Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact });
    }
}
