using System.Globalization;
using System.Text;
using MeshDev.Activation;
using MeshDev.Link;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Proxy.Errors;

/// <summary>
/// gRPC-native errors for gRPC callers: a trailers-only response (HTTP 200, <c>grpc-status</c> and
/// <c>grpc-message</c> in the only HEADERS frame), never an HTML or JSON body a gRPC client cannot read.
/// </summary>
public static class GrpcResponses
{
    public const int DeadlineExceeded = 4;
    public const int Internal = 13;
    public const int Unimplemented = 12;
    public const int Unavailable = 14;

    // Clients cap metadata (grpc-js: 8 KiB by default); keep the message well under, keeping its end (the log tail).
    private const int MaxMessageLength = 4000;

    public static bool IsGrpc(HttpRequest request) =>
        request.ContentType is { } type && type.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase);

    public static Task WriteUnavailableAsync(HttpContext context, ServiceUnavailableException error)
    {
        var failure = error.Failure;
        var message = new StringBuilder(error.Reason == UnavailableReason.TooManyWaiting ? failure.Cause : $"service '{failure.Service}' could not be launched: {failure.Cause}");
        if (failure.LogTail.Count > 0)
        {
            message.Append("; last log lines:");
            foreach (var line in failure.LogTail)
            {
                message.Append('\n').Append(line);
            }
        }

        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(error.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return WriteAsync(context, Unavailable, message.ToString());
    }

    public static Task WriteUnimplementedAsync(HttpContext context, IReadOnlyList<string> knownGrpcServices) =>
        WriteAsync(context, Unimplemented,
            $"no service of the mesh serves '{context.Request.Path}'; known gRPC services: {(knownGrpcServices.Count == 0 ? "none" : string.Join(", ", knownGrpcServices))}");

    public static Task WriteAsync(HttpContext context, int status, string message)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = status.ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = HttpWire.PercentEncodeGrpcMessage(Shorten(message));
        return Task.CompletedTask;
    }

    /// <summary>Ends a call whose response already started with a status in trailers (the response must support them).</summary>
    public static void AppendStatusTrailers(HttpContext context, int status, string message)
    {
        context.Response.AppendTrailer("grpc-status", status.ToString(CultureInfo.InvariantCulture));
        context.Response.AppendTrailer("grpc-message", HttpWire.PercentEncodeGrpcMessage(Shorten(message)));
    }

    internal static string Shorten(string message) => message.Length > MaxMessageLength ? "…" + message[^MaxMessageLength..] : message;

    /// <summary>Parses a <c>grpc-timeout</c> header (<c>100m</c>, <c>5S</c>, <c>1H</c>…); null when absent or malformed.</summary>
    public static TimeSpan? ParseTimeout(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length < 2 || value.Length > 9
            || !long.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            return null;
        }

        return value[^1] switch
        {
            'H' => TimeSpan.FromHours(amount),
            'M' => TimeSpan.FromMinutes(amount),
            'S' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMilliseconds(amount),
            'u' => TimeSpan.FromTicks(amount * 10),
            'n' => TimeSpan.FromTicks(amount / 100),
            _ => null,
        };
    }
}
