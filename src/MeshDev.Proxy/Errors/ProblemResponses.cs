using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using MeshDev.Activation;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Proxy.Errors;

/// <summary>Writes RFC 9457 <c>application/problem+json</c> error responses.</summary>
public static class ProblemResponses
{
    public const string ContentType = "application/problem+json";

    // Apostrophes and quotes in service names and causes stay readable ('orders', not \u0027orders\u0027); the body is
    // JSON served as JSON, never embedded in HTML.
    private static readonly JavaScriptEncoder ReadableJson = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>503 for a service whose launch failed or which is backing off: cause, log tail and Retry-After.</summary>
    public static Task WriteUnavailableAsync(HttpContext context, ServiceUnavailableException error)
    {
        var retryAfter = Math.Max(1, (int)Math.Ceiling(error.RetryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        var failure = error.Failure;
        var (type, title) = error.Reason == UnavailableReason.TooManyWaiting
            ? ("urn:meshdev:too-many-waiting", $"Too many requests wait for service '{failure.Service}' to start")
            : ("urn:meshdev:launch-failed", $"Service '{failure.Service}' could not be launched");
        return WriteAsync(context, StatusCodes.Status503ServiceUnavailable, type, title, failure.Cause, writer =>
            {
                writer.WriteString("service", failure.Service);
                writer.WriteString("failedAt", failure.FailedAt);
                writer.WriteNumber("retryAfterSeconds", retryAfter);
                writer.WriteStartArray("logs");
                foreach (var line in failure.LogTail)
                {
                    writer.WriteStringValue(line);
                }

                writer.WriteEndArray();
            });
    }

    /// <summary>404 for a request that matches no service, naming the ones that exist.</summary>
    public static Task WriteNoRouteAsync(HttpContext context, IReadOnlyList<string> knownServices, int sharedPort)
    {
        var host = context.Request.Host.Value ?? "";
        return WriteAsync(context, StatusCodes.Status404NotFound, "urn:meshdev:no-route",
            "No service of the mesh matches this request",
            $"Host '{host}' and path '{context.Request.Path}' match no service. Known services: {string.Join(", ", knownServices)}. " +
            $"Call a service's mesh port, or the shared port {sharedPort} with Host: <service>.",
            writer =>
            {
                writer.WriteStartArray("knownServices");
                foreach (var name in knownServices)
                {
                    writer.WriteStringValue(name);
                }

                writer.WriteEndArray();
            });
    }

    /// <summary>404 for an HTTP request whose Host names a <c>protocol: tcp</c> service, which only its own mesh port reaches.</summary>
    public static Task WriteTcpServiceAsync(HttpContext context, string service, int meshPort, int sharedPort) =>
        WriteAsync(context, StatusCodes.Status404NotFound, "urn:meshdev:no-route",
            "No service of the mesh matches this request",
            $"Service '{service}' is protocol: tcp, so the shared port {sharedPort} does not route HTTP to it by Host; " +
            $"connect to its mesh port {meshPort} (bytes are piped as they are), or declare it protocol: http.",
            writer =>
            {
                writer.WriteString("service", service);
                writer.WriteNumber("meshPort", meshPort);
            });

    /// <summary>502 when a ready service dropped the request (e.g. it crashed mid-call).</summary>
    public static Task WriteUpstreamErrorAsync(HttpContext context, string service, string detail) =>
        WriteAsync(context, StatusCodes.Status502BadGateway, "urn:meshdev:upstream-error",
            $"Service '{service}' did not answer", detail, writer => writer.WriteString("service", service));

    /// <summary>503 for a request held for a launch when the mesh stops: it will not be answered by this mesh any more.</summary>
    public static Task WriteMeshStoppingAsync(HttpContext context, string service, string state) =>
        WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "urn:meshdev:mesh-stopping",
            "The mesh is stopping", MeshStoppingDetail(service, state), writer => writer.WriteString("service", service));

    /// <summary>Why a held request ends when the mesh stops: the same sentence for HTTP and gRPC callers.</summary>
    public static string MeshStoppingDetail(string service, string state) =>
        $"The mesh stopped (meshdev down or Ctrl+C) while this request waited for service '{service}' to start ({state}); start it again with meshdev up.";

    /// <summary>400 for a request the client got wrong (e.g. a malformed chunked body): said as the client's mistake.</summary>
    public static Task WriteClientErrorAsync(HttpContext context, string service, string detail) =>
        WriteAsync(context, StatusCodes.Status400BadRequest, "urn:meshdev:bad-request",
            "The request is malformed", $"The mesh could not read this request to forward it to '{service}': {detail}. Fix the client; the service did not see the request.",
            writer => writer.WriteString("service", service));

    /// <summary>400 for a request whose Host cannot name anything (e.g. a port beyond 65535).</summary>
    public static Task WriteBadHostAsync(HttpContext context, string host) =>
        WriteAsync(context, StatusCodes.Status400BadRequest, "urn:meshdev:bad-host",
            "The Host header is invalid", $"Host '{host}' is not a valid host[:port] (a port is a number from 1 to 65535).");

    /// <summary>405 for CONNECT: the mesh does not open tunnels (a client that honours HTTP_PROXY sends CONNECT for https URLs).</summary>
    public static Task WriteConnectRefusedAsync(HttpContext context, string target)
    {
        context.Response.Headers.Allow = "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS";
        return WriteAsync(context, StatusCodes.Status405MethodNotAllowed, "urn:meshdev:no-tunnel",
            "The mesh does not tunnel CONNECT",
            $"CONNECT {target} was refused: mesh services are called over plain HTTP. Use http://{HostOnly(target)} instead of https, " +
            "or leave this host out of HTTP_PROXY with NO_PROXY.");
    }

    /// <summary>504 when the service sent nothing for its <c>requestTimeout</c>, naming the service.</summary>
    public static Task WriteTimeoutAsync(HttpContext context, string service, TimeSpan timeout) =>
        WriteAsync(context, StatusCodes.Status504GatewayTimeout, "urn:meshdev:request-timeout",
            $"Service '{service}' did not answer in time",
            $"Service '{service}' sent nothing for {ServiceActivator.Format(timeout)} (its requestTimeout); it may be hung, stopped (SIGSTOP) or paused in a debugger.",
            writer =>
            {
                writer.WriteString("service", service);
                writer.WriteNumber("requestTimeoutSeconds", timeout.TotalSeconds);
            });

    private static string HostOnly(string target)
    {
        var colon = target.LastIndexOf(':');
        return colon > 0 && !target.EndsWith(']') ? target[..colon] : target;
    }

    public static async Task WriteAsync(HttpContext context, int status, string type, string title, string detail, Action<Utf8JsonWriter>? extensions = null)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = ContentType;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = ReadableJson }))
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            writer.WriteString("title", title);
            writer.WriteNumber("status", status);
            writer.WriteString("detail", detail);
            extensions?.Invoke(writer);
            writer.WriteEndObject();
        }

        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }
}
