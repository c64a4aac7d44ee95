using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MeshDev.Calls;
using MeshDev.Link;

namespace MeshDev.Kubernetes.Links;

/// <summary>
/// The laptop's end of every pod's link: a stream a gateway opens is connected to the mesh port it names (only the
/// mesh's own ports: a pod cannot reach anything else on the laptop) with its caller announced, so the call counts as
/// the pod's service; the ready pods' addresses go out to every gateway, so calls between two ready pods stay in the
/// cluster; and what the gateways report of those calls is counted as if the mesh had proxied them.
/// </summary>
internal sealed class LinkHub(IReadOnlyDictionary<int, string> meshPorts, ClusterCalls calls)
{
    private readonly ConcurrentDictionary<PodLink, byte> _links = new();
    private readonly ConcurrentDictionary<string, (int MeshPort, LinkDirectRoute Route)> _direct = new(StringComparer.Ordinal);
    private volatile LinkRoutes _routes = LinkRoutes.None;

    /// <summary>The mesh ports a gateway listens on, and the service of each (<c>*</c> for the shared port).</summary>
    public IReadOnlyDictionary<int, string> MeshPorts => meshPorts;

    public LinkRoutes Routes => _routes;

    public IEnumerable<PodLink> Links => _links.Keys;

    /// <summary>A pod of <paramref name="service"/> is ready at <paramref name="host"/>:<paramref name="port"/>: gateways call it directly.</summary>
    public void SetDirect(string service, int meshPort, string host, int port)
    {
        _direct[service] = (meshPort, new LinkDirectRoute(service, host, port));
        Publish();
        calls.SetDirect(service, true);
    }

    /// <summary>The service's pod is going away: gateways send its calls through the laptop again.</summary>
    public void ClearDirect(string service)
    {
        if (_direct.TryRemove(service, out _))
        {
            calls.SetDirect(service, false);
            Publish();
        }
    }

    public void Register(PodLink link) => _links[link] = 0;

    public void Unregister(PodLink link) => _links.TryRemove(link, out _);

    private void Publish()
    {
        _routes = new LinkRoutes(_direct.Values.ToDictionary(d => d.MeshPort, d => d.Route));
        foreach (var link in _links.Keys)
        {
            link.SendRoutes(_routes);
        }
    }

    /// <summary>Connects a stream from a pod of <paramref name="caller"/> to the mesh port it asked for.</summary>
    public async Task AcceptAsync(LinkTunnel tunnel, LinkOpen open, string caller, CancellationToken cancellationToken)
    {
        if (!meshPorts.ContainsKey(open.Port))
        {
            tunnel.Reset($"port {open.Port} is not a port of the mesh");
            return;
        }

        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        // Announced before connecting, so the mesh knows the caller when it accepts the connection.
        using var announcement = calls.Announce(((IPEndPoint)socket.LocalEndPoint!).Port, caller);
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, open.Port, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            tunnel.Reset($"the mesh did not accept a connection on port {open.Port} ({e.Message})");
            return;
        }

        await tunnel.PipeAsync(socket, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A gateway's report of calls it sent directly: opened ones hold the service busy, requests count.</summary>
    public void OnReport(LinkReport report, string caller, Stack<IDisposable> holds)
    {
        for (var i = 0; i < report.Opened; i++)
        {
            if (calls.Hold(report.Service) is { } hold)
            {
                holds.Push(hold);
            }
        }

        for (var i = 0; i < report.Closed && holds.Count > 0; i++)
        {
            holds.Pop().Dispose();
        }

        calls.Count(caller, report.Service, report.Requests);
    }
}
