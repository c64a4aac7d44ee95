using MeshDev.Proxy.Errors;
using MeshDev.Proxy.Forwarding;
using MeshDev.Proxy.Listeners;
using MeshDev.Proxy.Routing;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace MeshDev.Proxy;

/// <summary>Registers and wires the mesh proxy: the mesh's own route match, activation, then YARP's forwarder.</summary>
public static class MeshProxyExtensions
{
    /// <summary>Adds the forwarder and its client. Expects RoutingTable, MeshActivator and TimeProvider in the container.</summary>
    public static IServiceCollection AddMeshProxy(this IServiceCollection services)
    {
        services.AddHttpForwarder();
        services.AddSingleton(sp => new ServiceClients(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ServiceForwarder>();
        services.AddSingleton<ForwardingErrorLog>();
        // Beside Kestrel's socket transport: it binds only the mesh ports of gRPC services (GrpcRelayEndPoint).
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConnectionListenerFactory, GrpcRelayTransport>());
        return services;
    }

    /// <summary>
    /// Adds the mesh middleware first: requests on mesh ports are routed and forwarded there; the others (control API,
    /// dashboard, xDS) pass on to endpoint routing, which is placed after it so mesh requests never pay for it.
    /// </summary>
    public static WebApplication UseMeshProxy(this WebApplication app)
    {
        app.UseMiddleware<MeshRoutingMiddleware>();
        app.UseRouting();
        return app;
    }
}
