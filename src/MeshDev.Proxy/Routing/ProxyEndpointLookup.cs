using System.Collections.Frozen;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Model;

namespace MeshDev.Proxy.Routing;

/// <summary>Finds the YARP endpoint of a route id; the map is rebuilt lazily when YARP republishes its endpoints.</summary>
public sealed class ProxyEndpointLookup
{
    private EndpointDataSource? _source;
    private volatile FrozenDictionary<string, Endpoint>? _byRoute;

    /// <summary>Binds to the endpoints once they are all registered.</summary>
    public void Attach(EndpointDataSource source)
    {
        _source = source;
        ChangeToken.OnChange(source.GetChangeToken, () => _byRoute = null);
    }

    public Endpoint? Find(string routeId)
    {
        var source = _source ?? throw new InvalidOperationException("the endpoint lookup is not attached yet");
        var map = _byRoute ??= source.Endpoints
            .Select(e => (Endpoint: e, Route: e.Metadata.GetMetadata<RouteModel>()))
            .Where(x => x.Route is not null)
            .Select(x => x.Endpoint.Metadata.GetMetadata<IAuthorizeData>() is null && x.Endpoint.Metadata.GetMetadata<ICorsMetadata>() is null
                ? x
                : throw new InvalidOperationException(
                    $"route '{x.Route!.Config.RouteId}' has authorization or CORS metadata, which the mesh's direct dispatch (MeshRoutingMiddleware) would skip"))
            .ToFrozenDictionary(x => x.Route!.Config.RouteId, x => x.Endpoint, StringComparer.OrdinalIgnoreCase);
        return map.GetValueOrDefault(routeId);
    }
}
