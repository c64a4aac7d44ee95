using System.Collections.Concurrent;
using MeshDev.Runtime;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace MeshDev.Proxy.Routing;

/// <summary>
/// YARP pipeline step: sends the request to the instance the activator just made ready. YARP's own cluster state
/// catches up with the routing table asynchronously; the activator's endpoint is authoritative for this request.
/// </summary>
public sealed class ActivatedDestinations
{
    private readonly ConcurrentDictionary<ServiceEndpoint, DestinationState[]> _destinations = new();

    public Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var mesh = context.Features.Get<MeshRequestFeature>();
        if (mesh is not null)
        {
            context.Features.Get<IReverseProxyFeature>()!.AvailableDestinations = _destinations.GetOrAdd(mesh.Endpoint, static endpoint =>
                [new DestinationState(endpoint.ToString(), new DestinationModel(new DestinationConfig { Address = endpoint.HttpUri.ToString() }))]);
        }

        return next();
    }
}
