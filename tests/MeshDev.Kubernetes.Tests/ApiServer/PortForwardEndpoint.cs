using System.Globalization;
using k8s.Models;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// <c>GET …/pods/{name}/portforward?ports=P</c>: the WebSocket upgrade with the <c>v4.channel.k8s.io</c> subprotocol
/// (or none, which the kubelet treats the same), then a <see cref="PortForwardSession"/>. SPDY
/// (<c>portforward.k8s.io</c>), which kubectl used to speak, gets a 400 saying so; a plain GET gets the API server's
/// "Upgrade request required".
/// </summary>
internal sealed class PortForwardEndpoint(ObjectStore store, Kubelet kubelet, TimeProvider time)
{
    public const string SubProtocol = "v4.channel.k8s.io";

    private CancellationTokenSource _cut = new();

    /// <summary>Ends every port-forward open now, as an API server restart or a dropped connection would.</summary>
    public void CutAll() => Interlocked.Exchange(ref _cut, new CancellationTokenSource()).Cancel();

    public async Task HandleAsync(HttpContext context, string @namespace, string name, CancellationToken stopping)
    {
        var pod = store.Get<V1Pod>(ApiResources.Pods, @namespace, name) ?? throw ApiStatusException.NotFound(ApiResources.Pods, name);
        var request = context.Request;
        if (request.Headers.Upgrade.ToString().Contains("SPDY", StringComparison.OrdinalIgnoreCase) ||
            request.Headers["X-Stream-Protocol-Version"].ToString().Contains("portforward.k8s.io", StringComparison.Ordinal))
        {
            throw ApiStatusException.BadRequest(
                "this stand-in API server forwards ports only over WebSockets with the v4.channel.k8s.io subprotocol; SPDY (portforward.k8s.io) is not supported");
        }

        var ports = new List<int>();
        foreach (var value in request.Query["ports"].SelectMany(v => (v ?? "").Split(',')))
        {
            ports.Add(ushort.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port > 0
                ? port
                : throw ApiStatusException.BadRequest($"unable to parse \"{value}\" as a port"));
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            throw ApiStatusException.BadRequest("Upgrade request required");
        }

        if (ports.Count == 0)
        {
            throw ApiStatusException.BadRequest("query parameter \"ports\" is required");
        }

        if (string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            throw ApiStatusException.BadRequest($"pod {name} does not have a host assigned");
        }

        var requested = context.WebSockets.WebSocketRequestedProtocols;
        if (requested.Count > 0 && !requested.Contains(SubProtocol))
        {
            throw ApiStatusException.BadRequest(
                $"this stand-in API server forwards ports only with the WebSocket subprotocol {SubProtocol}; the client offered {string.Join(", ", requested)}");
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(requested.Count > 0 ? SubProtocol : null);
        using var cut = CancellationTokenSource.CreateLinkedTokenSource(stopping, Volatile.Read(ref _cut).Token);
        // The pod as it is when each connection is made, not as it was when the request came.
        await new PortForwardSession(socket, pod, ports, (p, port, ct) => kubelet.ConnectAsync(store.Get<V1Pod>(ApiResources.Pods, @namespace, name) ?? p, port, ct), time)
            .RunAsync(cut.Token);
    }
}
