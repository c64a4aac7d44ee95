using System.Net;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Errors;
using MeshDev.Proxy.Routing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Transforms;

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
        services.AddReverseProxy()
            // No trace-context handler in YARP's client: the mesh starts no trace of its own (see MeshHost), so it would
            // only pass a caller's traceparent through, which the header copy does anyway; without it every forwarded
            // request skips a handler (devtools/bench).
            .ConfigureHttpClient((_, handler) => handler.ActivityHeadersPropagator = null)
            .AddTransforms(transforms => transforms.AddRequestTransform(context =>
        {
            // gRPC needs HTTP/2 end to end; over cleartext that means h2c with prior knowledge, which HttpClient only
            // does when asked for exactly 2.0. Other requests keep YARP's default (HTTP/1.1 on cleartext).
            if (GrpcResponses.IsGrpc(context.HttpContext.Request))
            {
                context.ProxyRequest.Version = HttpVersion.Version20;
                context.ProxyRequest.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
            }

            return ValueTask.CompletedTask;
        }));
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
