using System.Collections.Concurrent;
using System.Net;
using MeshDev.Activation;

namespace MeshDev.Calls;

/// <summary>
/// What the mesh learns of calls from pods, which /proc on this machine cannot attribute: the link from a pod's gateway
/// announces, before it connects to a mesh port, which service the connection is from; and the gateway reports calls
/// it sent directly to another pod, which the mesh's listeners never see. Both reach the same call graph, request
/// counts and idle logic as calls made on the laptop.
/// </summary>
public sealed class ClusterCalls
{
    private readonly ConcurrentDictionary<int, string> _announced = new();
    private readonly ConcurrentDictionary<string, byte> _direct = new(StringComparer.Ordinal);
    private volatile MeshActivator? _activator;
    private volatile CallGraph? _graph;

    /// <summary>Connects the reports to the running mesh (the runtimes, which report, are made before it).</summary>
    public void Attach(MeshActivator activator, CallGraph graph)
    {
        _activator = activator;
        _graph = graph;
    }

    /// <summary>
    /// The mesh's own client socket bound to <paramref name="clientPort"/> carries calls of <paramref name="caller"/>:
    /// announced before it connects, withdrawn when the returned handle is disposed (after the connection closed).
    /// </summary>
    public IDisposable Announce(int clientPort, string caller)
    {
        _announced[clientPort] = caller;
        return new Withdrawal(this, clientPort);
    }

    /// <summary>The caller announced for a loopback connection from <paramref name="client"/>, if any.</summary>
    public string? CallerOf(IPEndPoint client) =>
        !_announced.IsEmpty && IPAddress.IsLoopback(client.Address) && _announced.TryGetValue(client.Port, out var caller) ? caller : null;

    /// <summary>Whether pods reach <paramref name="service"/> directly now (its pod is Ready and published to the gateways).</summary>
    public bool IsDirect(string service) => !_direct.IsEmpty && _direct.ContainsKey(service);

    /// <summary>Pods reach <paramref name="service"/> directly from now on, or no longer.</summary>
    public void SetDirect(string service, bool direct)
    {
        if (direct)
        {
            _direct[service] = 0;
        }
        else
        {
            _direct.TryRemove(service, out _);
        }
    }

    /// <summary>A connection from <paramref name="caller"/> straight to a ready pod of <paramref name="service"/> opened: the service stays busy until it is disposed.</summary>
    public IDisposable? Hold(string service) =>
        _activator?.Find(service) is { } activator && activator.TryHold(out var lease) ? lease : null;

    /// <summary><paramref name="requests"/> made by <paramref name="caller"/> straight to <paramref name="service"/>: counted in status and the call graph.</summary>
    public void Count(string caller, string service, long requests)
    {
        if (requests <= 0 || _activator?.Find(service) is not { } activator)
        {
            return;
        }

        activator.AddRequests(requests);
        _graph?.Add(caller, activator.Service.Name, requests);
    }

    private sealed class Withdrawal(ClusterCalls owner, int port) : IDisposable
    {
        public void Dispose() => owner._announced.TryRemove(port, out _);
    }
}
