using System.Globalization;
using System.Text.Json;
using MeshDev.Activation;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Proxy.Errors;

/// <summary>Writes RFC 9457 <c>application/problem+json</c> error responses.</summary>
public static class ProblemResponses
{
    public const string ContentType = "application/problem+json";

    /// <summary>503 for a service whose launch failed or which is backing off: cause, log tail and Retry-After.</summary>
    public static Task WriteUnavailableAsync(HttpContext context, ServiceUnavailableException error)
    {
        var retryAfter = Math.Max(1, (int)Math.Ceiling(error.RetryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        var failure = error.Failure;
        return WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "urn:meshdev:launch-failed",
            $"Service '{failure.Service}' could not be launched", failure.Cause, writer =>
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

    /// <summary>502 when a ready service dropped the request (e.g. it crashed mid-call).</summary>
    public static Task WriteUpstreamErrorAsync(HttpContext context, string service, string detail) =>
        WriteAsync(context, StatusCodes.Status502BadGateway, "urn:meshdev:upstream-error",
            $"Service '{service}' did not answer", detail, writer => writer.WriteString("service", service));

    public static async Task WriteAsync(HttpContext context, int status, string type, string title, string detail, Action<Utf8JsonWriter>? extensions = null)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = ContentType;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
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
