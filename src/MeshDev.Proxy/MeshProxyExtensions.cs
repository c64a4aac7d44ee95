using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Routing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;

namespace MeshDev.Proxy;

/// <summary>Registers and wires the mesh proxy (routing table → YARP, activation in front).</summary>
public static class MeshProxyExtensions
{
    /// <summary>Adds YARP fed by the routing table. Expects RoutingTable and MeshActivator in the container.</summary>
    public static IServiceCollection AddMeshProxy(this IServiceCollection services)
    {
        services.AddSingleton<MeshProxyConfigProvider>();
        services.AddSingleton<IProxyConfigProvider>(sp => sp.GetRequiredService<MeshProxyConfigProvider>());
        services.AddSingleton<ActivatedDestinations>();
        services.AddReverseProxy();
        return services;
    }

    /// <summary>Adds the mesh middleware, routing and the YARP endpoints. Call on a fresh WebApplication.</summary>
    public static WebApplication UseMeshProxy(this WebApplication app)
    {
        var lookup = new ProxyEndpointLookup();
        app.UseMiddleware<MeshRoutingMiddleware>(lookup);
        app.UseRouting();
        var destinations = app.Services.GetRequiredService<ActivatedDestinations>();
        app.MapReverseProxy(pipeline => pipeline.Use((context, next) => destinations.InvokeAsync(context, next)));

        // After MapReverseProxy, so the composite includes YARP's endpoint data source.
        lookup.Attach(new CompositeEndpointDataSource(((IEndpointRouteBuilder)app).DataSources));
        return app;
    }
}
