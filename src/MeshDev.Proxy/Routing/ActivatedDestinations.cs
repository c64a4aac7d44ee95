using System.Collections.Concurrent;
using MeshDev.Runtime;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Model;

namespace MeshDev.Proxy.Routing;

/// <summary>
/// YARP pipeline step: sends the request to the instance the activator just made ready. YARP's own cluster state
/// catches up with the routing table asynchronously; the activator's endpoint is authoritative for this request.
/// </summary>
public sealed class ActivatedDestinations
{
    private readonly ConcurrentDictionary<ServiceEndpoint, MeshRequestFeature> _features = new();

    // Auto ports change with every launch; past this many addresses the old ones are dropped (the live ones come back at once).
    private const int MaxEndpoints = 256;

    /// <summary>The shared feature for requests to <paramref name="endpoint"/>.</summary>
    public MeshRequestFeature For(ServiceEndpoint endpoint)
    {
        if (_features.TryGetValue(endpoint, out var feature))
        {
            return feature;
        }

        if (_features.Count >= MaxEndpoints)
        {
            _features.Clear();
        }

        return _features.GetOrAdd(endpoint, static e => new MeshRequestFeature(e));
    }

    public Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        if (context.Features.Get<MeshRequestFeature>() is { } mesh)
        {
            context.Features.Get<IReverseProxyFeature>()!.AvailableDestinations = mesh.Destinations;
        }

        return next();
    }
}
