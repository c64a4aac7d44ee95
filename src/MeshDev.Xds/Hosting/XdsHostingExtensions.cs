using MeshDev.Catalog;
using MeshDev.Routing;
using MeshDev.Xds.Resources;
using MeshDev.Xds.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace MeshDev.Xds.Hosting;

/// <summary>Registers and maps the ADS server.</summary>
public static class XdsHostingExtensions
{
    /// <summary>
    /// The mesh's xDS control plane: snapshots built from the <see cref="RoutingTable"/> (expects it and the
    /// <see cref="MeshManifest"/> in the container), the <see cref="XdsRoutingFeed"/> that publishes a new one on every
    /// change (a hosted service: it starts in the order of registration) and the ADS server that serves them.
    /// </summary>
    public static IServiceCollection AddMeshXds(this IServiceCollection services)
    {
        services.AddSingleton(sp => new XdsSnapshotBuilder(sp.GetRequiredService<MeshManifest>()));
        services.AddSingleton(sp => new XdsSnapshotCache(sp.GetRequiredService<XdsSnapshotBuilder>().Build(sp.GetRequiredService<RoutingTable>().Current)));
        services.AddHostedService<XdsRoutingFeed>();
        return services.AddXdsServer();
    }

    /// <summary>Only the ADS server, serving whatever is published to the <see cref="XdsSnapshotCache"/> in the container.</summary>
    public static IServiceCollection AddXdsServer(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<XdsClients>();
        services.AddGrpc();
        return services;
    }

    /// <summary>Maps the ADS service.</summary>
    public static IEndpointRouteBuilder MapXdsServer(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<AggregatedDiscoveryServer>();
        return endpoints;
    }
}
