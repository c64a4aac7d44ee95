using Microsoft.AspNetCore.Connections.Features;
using System.Collections.Frozen;
using MeshDev.Activation;
using MeshDev.Calls;
using MeshDev.Catalog;
using MeshDev.Proxy.Errors;
using MeshDev.Routing;
using MeshDev.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MeshDev.Proxy.Forwarding;
using MeshDev.Proxy.Listeners;
using Yarp.ReverseProxy.Forwarder;

namespace MeshDev.Proxy.Routing;

/// <summary>
/// The activator in the data path: matches the request to a service (mesh port, Host, path prefix), waits for the
/// service to be ready (launching it if needed), then hands the request to that service's YARP route, and counts it in the
/// call graph under its connection's caller. Requests on ports that are not mesh listeners (the control API) pass through untouched.
/// </summary>
public sealed partial class MeshRoutingMiddleware
{
    private readonly RequestDelegate _next;
    private readonly RoutingTable _table;
    private readonly MeshActivator _activator;
    private readonly ServiceForwarder _forwarder;
    private readonly ForwardingErrorLog _errors;
    private readonly FrozenSet<int> _meshPorts;
    private readonly FrozenSet<int> _relayPorts;
    private readonly ILogger _logger;
    private readonly MeshTelemetry? _telemetry;
    private readonly CancellationToken _stopping;

    /// <param name="telemetry">Present while the mesh exports traces: each forwarded request then gets a span.</param>
    /// <param name="lifetime">Its stopping signal ends the requests held for a launch with a 503 at once: otherwise they
    /// would wait out the host's shutdown timeout and then see their connection reset.</param>
    public MeshRoutingMiddleware(RequestDelegate next, RoutingTable table, MeshActivator activator, ServiceForwarder forwarder, ForwardingErrorLog errors,
        ILogger<MeshRoutingMiddleware> logger, IHostApplicationLifetime lifetime, MeshTelemetry? telemetry = null)
    {
        _telemetry = telemetry;
        _stopping = lifetime.ApplicationStopping;
        _next = next;
        _table = table;
        _activator = activator;
        _forwarder = forwarder;
        _errors = errors;
        _logger = logger;
        _meshPorts = table.Current.Listeners.Select(l => l.Port).ToFrozenSet();
        _relayPorts = activator.Services.Where(a => GrpcRelayEndPoint.Suits(a.Service, telemetry is not null)).Select(a => a.Service.MeshPort).ToFrozenSet();
    }

    public async Task InvokeAsync(HttpContext context)
    {
        if (!_meshPorts.Contains(context.Connection.LocalPort))
        {
            await _next(context).ConfigureAwait(false);
            return;
        }

        var matcher = _table.Matcher;
        var request = context.Request;
        if (HttpMethods.IsConnect(request.Method))
        {
            await ProblemResponses.WriteConnectRefusedAsync(context, request.Host.Value ?? "").ConfigureAwait(false);
            return;
        }

        if (!HostHeader.IsValid(request.Host.Value))
        {
            await ProblemResponses.WriteBadHostAsync(context, request.Host.Value ?? "").ConfigureAwait(false);
            return;
        }

        var service = matcher.Match(context.Connection.LocalPort, request.Host.Value, request.Path.Value);
        var activator = service is null ? null : _activator.Find(service);
        var grpc = GrpcResponses.IsGrpc(request);
        if (activator is null)
        {
            LogNoRoute(_logger, request.Host.Value, request.Path.Value);
            await (grpc
                ? GrpcResponses.WriteUnimplementedAsync(context, matcher.KnownGrpcServices)
                : TcpServiceNamed(request.Host.Value) is { } tcp
                    ? ProblemResponses.WriteTcpServiceAsync(context, tcp.Name, tcp.MeshPort, matcher.SharedPort)
                    : ProblemResponses.WriteNoRouteAsync(context, matcher.KnownServices, matcher.SharedPort)).ConfigureAwait(false);
            return;
        }

        // While exporting, the span is Activity.Current from here on: the launch this request may begin, and the
        // forwarded call's traceparent (MeshTransformer), are its children. Without export nothing more happens here
        // than a null check: no second async method, no Activity.
        var span = _telemetry?.StartForward(activator.Service.Name, request.Method, request.Path.Value, request.Headers.TraceParent, request.Headers.TraceState);
        try
        {
            // The call graph: a counter now, an entry among the recent requests when answered. The caller is looked up
            // once (a connection feature: a miss in the request's own features first).
            var caller = CallerOf(context);
            var started = caller?.BeginCall(activator.Service.Name) ?? 0;
            var waited = false;
            if (!activator.TryAcquire(out var lease))
            {
                waited = true;
                if (await WaitForLaunchAsync(context, activator, caller, grpc, _stopping).ConfigureAwait(false) is not { } acquired)
                {
                    // The answer (an error) is written, or the client left (499, as nginx logs it).
                    EndCall(caller, context, activator, started, context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted ? 499 : null);
                    return;
                }

                lease = acquired;
            }

            await ForwardAsync(context, activator, lease, caller, grpc).ConfigureAwait(false);
            EndCall(caller, context, activator, started);
            if (caller?.Link is { } link && link.IsDirect(activator.Service.Name))
            {
                // A pod's connection, carried by its link, to a service whose pod it can now reach directly: `Connection:
                // close` (HTTP/1.1) or GOAWAY (HTTP/2) once this response is done, so the client's next connection goes
                // pod to pod instead of through this laptop for as long as its pool keeps this one.
                context.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
            }
            else if (waited && _relayPorts.Contains(context.Connection.LocalPort) && HttpProtocol.IsHttp2(request.Protocol))
            {
                // This gRPC client's connection came while the service was not ready, so the HTTP path serves it. Its
                // next connection, now that the service is ready, is relayed frame for frame (GrpcRelay): a GOAWAY once
                // this call is done moves it there, instead of the slower path for as long as the client keeps this one.
                context.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
            }
        }
        finally
        {
            if (span is not null)
            {
                MeshTelemetry.EndForward(span, context.Response.StatusCode);
            }
        }
    }

    /// <summary>Who is calling on this request's connection (set by CallerTracking; looked up in the background, not here).</summary>
    private static CallerConnection? CallerOf(HttpContext context) => (CallerConnection?)context.Features[typeof(CallerConnection)];

    private static void EndCall(CallerConnection? caller, HttpContext context, ServiceActivator activator, long started, int? status = null) =>
        caller?.EndCall(activator.Service.Name, context.Request.Method, context.Request.Path.Value, status ?? context.Response.StatusCode, started);

    /// <summary>
    /// The <c>protocol: tcp</c> service a Host names (<c>echo</c>, <c>echo.localhost</c>, any port): it has no HTTP routes,
    /// so without this the 404 would say no service matches while listing that very service among the known ones.
    /// </summary>
    private ServiceSpec? TcpServiceNamed(string? host)
    {
        var name = RouteMatcher.HostName(host).ToString();
        return _activator.Services.Select(a => a.Service)
            .FirstOrDefault(s => s.Protocol == ServiceProtocol.Tcp && s.NameHosts.Contains(name, StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>
    /// The slow path: the service is launching (or failed). Returns the lease, or null once an error answer was
    /// written. A gRPC call's own deadline (<c>grpc-timeout</c>) caps its wait. A launch it begins is the call's: its
    /// reason names the connection's caller.
    /// </summary>
    private static async Task<ActivityLease?> WaitForLaunchAsync(HttpContext context, ServiceActivator activator, CallerConnection? caller, bool grpc, CancellationToken stopping)
    {
        // Browser dev tools and tracing tools read the wait as Server-Timing; set when the response starts (YARP copies the
        // service's headers before that), whatever the answer: the service's, or the mesh's error.
        var waited = new ActivationWait(activator.Time);
        context.Response.OnStarting(ActivationWait.AddHeader, (context, waited));
        var deadline = grpc ? GrpcResponses.ParseTimeout(context.Request.Headers["grpc-timeout"]) : null;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        if (deadline is { } grpcTimeout)
        {
            wait.CancelAfter(grpcTimeout);
        }

        try
        {
            var lease = await activator.AcquireAsync(LaunchReason.CallFrom(caller), wait.Token).ConfigureAwait(false);
            waited.End();
            return lease;
        }
        catch (ServiceUnavailableException ex)
        {
            waited.End();
            await (grpc ? GrpcResponses.WriteUnavailableAsync(context, ex) : ProblemResponses.WriteUnavailableAsync(context, ex)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested && stopping.IsCancellationRequested)
        {
            var state = activator.State.ToString().ToLowerInvariant();
            await (grpc
                ? GrpcResponses.WriteAsync(context, GrpcResponses.Unavailable, ProblemResponses.MeshStoppingDetail(activator.Service.Name, state))
                : ProblemResponses.WriteMeshStoppingAsync(context, activator.Service.Name, state)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested && deadline is not null)
        {
            await GrpcResponses.WriteAsync(context, GrpcResponses.DeadlineExceeded,
                $"deadline exceeded while waiting for service '{activator.Service.Name}' to start ({activator.State.ToString().ToLowerInvariant()})").ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client left while waiting; the launch goes on for everyone else.
        }

        return null;
    }

    /// <param name="again">This is the second try, after an adopted instance refused the first: no third.</param>
    private async Task ForwardAsync(HttpContext context, ServiceActivator activator, ActivityLease lease, CallerConnection? caller, bool grpc, bool again = false)
    {
        DeferredReset? reset = null;
        if (grpc && context.Features.Get<IHttpResetFeature>() is { } resetFeature)
        {
            reset = new DeferredReset(resetFeature);
            context.Features.Set<IHttpResetFeature>(reset);
        }

        ForwarderError error;
        using (lease)
        {
            error = await _forwarder.SendAsync(context, activator.Service, lease.Endpoint, caller, grpc).ConfigureAwait(false);
        }

        // A started response is YARP's answer (an error after that point resets the stream or aborts the connection);
        // only before it is there an error of ours to write, or, for gRPC, a status in trailers. Checked first: nothing
        // more happens on every successful request.
        if (error == ForwarderError.None)
        {
            return;
        }

        var outcome = ForwardingOutcomes.Of(error, context.RequestAborted.IsCancellationRequested);
        if (context.Response.HasStarted)
        {
            EndStartedCall(context, activator, outcome, error, reset);
            return;
        }

        var exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
        if (outcome == ForwardingOutcome.ClientGone)
        {
            return;
        }

        // An adopted instance that no longer listens (the IDE's, whose debugging session ended) is looked for again. The
        // request that found it gone goes to whatever serves the service now, the mesh's own launch or a new IDE
        // instance, instead of a 502 for a request nothing has seen.
        if (outcome == ForwardingOutcome.ServiceUnreachable && ServiceForwarder.IsConnectionRefused(exception)
            && activator.ReportUnreachable() && !again && ServiceForwarder.CanRetry(context, error))
        {
            context.Features.Set<IForwarderErrorFeature>(null);
            context.Response.StatusCode = StatusCodes.Status200OK;
            if (await WaitForLaunchAsync(context, activator, caller, grpc, _stopping).ConfigureAwait(false) is { } relaunched)
            {
                await ForwardAsync(context, activator, relaunched, caller, grpc, again: true).ConfigureAwait(false);
            }

            return;
        }

        var name = activator.Service.Name;
        _errors.Report(name, outcome, exception?.Message ?? error.ToString());
        await (outcome switch
        {
            ForwardingOutcome.ClientError => grpc
                ? GrpcResponses.WriteAsync(context, GrpcResponses.Internal, $"the request could not be read from the caller: {exception?.Message}")
                : ProblemResponses.WriteClientErrorAsync(context, name, exception?.Message ?? "the request body could not be read"),
            ForwardingOutcome.ServiceSilent => grpc
                ? GrpcResponses.WriteAsync(context, GrpcResponses.DeadlineExceeded, $"service '{name}' sent nothing for {ServiceActivator.Format(ServiceForwarder.ActivityTimeoutOf(activator.Service))} (requestTimeout)")
                : ProblemResponses.WriteTimeoutAsync(context, name, ServiceForwarder.ActivityTimeoutOf(activator.Service)),
            _ => grpc
                ? GrpcResponses.WriteAsync(context, GrpcResponses.Unavailable, $"service '{name}' did not answer: {error} while forwarding to {lease.Endpoint}: {exception?.Message ?? "no response"}")
                : ProblemResponses.WriteUpstreamErrorAsync(context, name, $"{error} while forwarding to {lease.Endpoint}: {exception?.Message ?? "no response"}"),
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// A gRPC call whose service failed after the response started ends with UNAVAILABLE (or DEADLINE_EXCEEDED for a
    /// requestTimeout) in trailers, as the service's own crash would end it for a direct caller; anything else is reset
    /// as YARP asked.
    /// </summary>
    private void EndStartedCall(HttpContext context, ServiceActivator activator, ForwardingOutcome outcome, ForwarderError error, DeferredReset? reset)
    {
        if (reset?.RequestedCode is null)
        {
            return;
        }

        if (outcome is not (ForwardingOutcome.ServiceUnreachable or ForwardingOutcome.ServiceSilent) || !context.Response.SupportsTrailers())
        {
            reset.ResetAsRequested();
            return;
        }

        var name = activator.Service.Name;
        var exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
        _errors.Report(name, outcome, exception?.Message ?? error.ToString());
        if (outcome == ForwardingOutcome.ServiceSilent)
        {
            GrpcResponses.AppendStatusTrailers(context, GrpcResponses.DeadlineExceeded,
                $"service '{name}' sent nothing for {ServiceActivator.Format(ServiceForwarder.ActivityTimeoutOf(activator.Service))} (requestTimeout)");
        }
        else
        {
            GrpcResponses.AppendStatusTrailers(context, GrpcResponses.Unavailable, $"service '{name}' ended the call before its status: {exception?.Message ?? error.ToString()}");
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "No route for Host '{Host}' path '{Path}'")]
    private static partial void LogNoRoute(ILogger logger, string? host, string? path);
}
