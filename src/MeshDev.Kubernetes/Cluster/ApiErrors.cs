using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Cluster;

/// <summary>
/// One sentence for a failed call to the API server: what MeshDev was doing, what the server (or the network) said,
/// and what to do about it. RBAC refusals name the README section with the Role a developer needs.
/// </summary>
internal static class ApiErrors
{
    private const string RbacHint = "your account needs a Role in that namespace that allows it (see 'Kubernetes dev namespace' in the MeshDev README)";

    public static HttpStatusCode? StatusOf(Exception e) => e switch
    {
        HttpOperationException { Response: { } response } => response.StatusCode,
        KubernetesException { Status.Code: { } code } => (HttpStatusCode)code,
        _ => null,
    };

    public static bool IsForbidden(Exception e) => StatusOf(e) == HttpStatusCode.Forbidden;

    public static bool IsNotFound(Exception e) => StatusOf(e) == HttpStatusCode.NotFound;

    /// <summary>The network, TLS or a timeout failed, rather than the server answering with an error.</summary>
    public static bool IsUnreachable(Exception e) =>
        e is HttpRequestException or SocketException or IOException or AuthenticationException or TimeoutException or OperationCanceledException
        || (e is System.Net.WebSockets.WebSocketException && StatusOf(e) is null);

    /// <summary>The server's own message (the <c>message</c> of its Status body), else the status code.</summary>
    public static string ServerMessage(Exception e)
    {
        switch (e)
        {
            case HttpOperationException { Response: { } response }:
                return MessageOf(response.Content) ?? $"{(int)response.StatusCode} {response.StatusCode}";
            case KubernetesException { Status: { } status }:
                return status.Message ?? status.Reason ?? $"{status.Code}";
            default:
                return Innermost(e).Message.TrimEnd('.');
        }
    }

    /// <summary>
    /// <paramref name="doing"/> is what was attempted, as a gerund phrase ("scaling Deployment 'orders' to 1").
    /// </summary>
    public static string Describe(Exception e, string doing, ClusterClient cluster)
    {
        if (e is LaunchException)
        {
            return e.Message;
        }

        switch (StatusOf(e))
        {
            case HttpStatusCode.Unauthorized:
                return $"the API server at {cluster.Server} ({cluster.Description}) rejected your credentials while {doing} (401 Unauthorized); log in again (refresh your token or your cloud CLI's credentials) or pick another context";
            case HttpStatusCode.Forbidden:
                return $"the cluster refused {doing} (Forbidden: {ServerMessage(e)}); {RbacHint}";
            case { } status:
                return $"the API server refused {doing} ({(int)status} {status}: {ServerMessage(e)})";
        }

        if (IsUnreachable(e))
        {
            var reason = e is OperationCanceledException or TimeoutException ? "no answer in time" : ServerMessage(e);
            return $"the Kubernetes API server is not reachable at {cluster.Server} ({cluster.Description}; {reason}) while {doing}; " +
                "start the cluster (kind, k3d, minikube) or check your network or VPN, or choose another cluster with 'context' or KUBECONFIG";
        }

        return $"{doing} failed: {e.GetType().Name}: {e.Message}";
    }

    private static string? MessageOf(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("message", out var message) && message.GetString() is { Length: > 0 } text
                ? text.Trim()
                : body.Trim();
        }
        catch (JsonException)
        {
            return body.Trim();
        }
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }
}
