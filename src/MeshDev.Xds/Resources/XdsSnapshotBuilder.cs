using System.Collections.Immutable;
using MeshDev.Catalog;
using MeshDev.Routing;

namespace MeshDev.Xds.Resources;

/// <summary>
/// Turns a <see cref="RoutingSnapshot"/> into Envoy resources. Per HTTP service: a Listener named after it (an
/// api_listener whose HttpConnectionManager takes its routes over RDS), a RouteConfiguration, an EDS Cluster and a
/// ClusterLoadAssignment; per TCP service only the Cluster and ClusterLoadAssignment; plus the shared port's
/// RouteConfiguration (<see cref="SharedRouteConfigurationName"/>), which the Envoy bootstrap of
/// <c>meshdev routes --envoy</c> uses.
/// </summary>
/// <remarks>
/// While a mesh runs only endpoints change, so a build reuses the previous snapshot's listeners, routes and clusters
/// when the routes are the same objects, and every ClusterLoadAssignment whose cluster did not change.
/// </remarks>
public sealed class XdsSnapshotBuilder
{
    /// <summary>The shared port's route configuration; a dot never occurs in a service name, so it cannot collide.</summary>
    public const string SharedRouteConfigurationName = "meshdev.shared";

    private readonly MeshManifest _manifest;

    public XdsSnapshotBuilder(MeshManifest manifest)
    {
        _manifest = manifest;
    }

    /// <summary>Builds the snapshot of <paramref name="routing"/>; type versions continue from <paramref name="previous"/>.</summary>
    public XdsSnapshot Build(RoutingSnapshot routing, XdsSnapshot? previous = null)
    {
        var routesUnchanged = previous is not null
            && previous.Routing.Listeners == routing.Listeners
            && ReferenceEquals(previous.Routing.SharedRoutes, routing.SharedRoutes);
        XdsResourceSet listeners, routeConfigurations, clusters;
        if (routesUnchanged)
        {
            (listeners, routeConfigurations, clusters) = (previous!.Listeners, previous.RouteConfigurations, previous.Clusters);
        }
        else
        {
            listeners = Versioned(XdsTypes.Listener, BuildListeners(routing), previous?.Listeners);
            routeConfigurations = Versioned(XdsTypes.RouteConfiguration, BuildRouteConfigurations(routing), previous?.RouteConfigurations);
            clusters = Versioned(XdsTypes.Cluster, BuildClusters(routing), previous?.Clusters);
        }

        var loadAssignments = routesUnchanged && previous!.Routing.Clusters.Count == routing.Clusters.Count
            ? UpdateLoadAssignments(routing, previous)
            : Versioned(XdsTypes.ClusterLoadAssignment, BuildLoadAssignments(routing, previous), previous?.LoadAssignments);
        return new XdsSnapshot(routing, listeners, routeConfigurations, clusters, loadAssignments);
    }

    /// <summary>The common case while a mesh runs: the same clusters, one or a few with new endpoints.</summary>
    private static XdsResourceSet UpdateLoadAssignments(RoutingSnapshot routing, XdsSnapshot previous)
    {
        var resources = previous.LoadAssignments.Resources;
        var changed = false;
        foreach (var (name, cluster) in routing.Clusters)
        {
            if (previous.Routing.Clusters.TryGetValue(name, out var before) && ReferenceEquals(before, cluster) && resources.ContainsKey(cluster.Name))
            {
                continue;
            }

            var meshPort = routing.Listeners.First(l => string.Equals(l.Service, cluster.Service, StringComparison.OrdinalIgnoreCase)).Port;
            var rebuilt = new XdsResource(cluster.Name, EnvoyResources.LoadAssignment(cluster.Name, meshPort, cluster.Endpoints));
            if (!resources.TryGetValue(cluster.Name, out var old) || !old.SameContent(rebuilt))
            {
                resources = resources.SetItem(cluster.Name, rebuilt);
                changed = true;
            }
        }

        return changed ? new XdsResourceSet(XdsTypes.ClusterLoadAssignment, previous.LoadAssignments.Version + 1, resources) : previous.LoadAssignments;
    }

    private static XdsResourceSet Versioned(string typeUrl, IEnumerable<XdsResource> resources, XdsResourceSet? previous)
    {
        var dictionary = XdsResourceSet.ToDictionary(resources);
        return previous is null ? new XdsResourceSet(typeUrl, 1, dictionary) : previous.Next(dictionary);
    }

    private static IEnumerable<XdsResource> BuildListeners(RoutingSnapshot routing) =>
        HttpServices(routing).Select(service => new XdsResource(service, EnvoyResources.Listener(service)));

    private static IEnumerable<XdsResource> BuildRouteConfigurations(RoutingSnapshot routing)
    {
        var hosts = routing.SharedRoutes.VirtualHosts.ToDictionary(h => h.Name, StringComparer.Ordinal);
        var grpcByService = routing.SharedRoutes.VirtualHosts
            .SelectMany(h => h.Routes)
            .Where(r => r.Grpc)
            .Select(r => (r.Cluster, Service: r.PathPrefix[1..]))
            .Distinct()
            .ToLookup(r => r.Cluster, r => r.Service, StringComparer.Ordinal);
        foreach (var service in HttpServices(routing))
        {
            // The service's virtual host on the shared port lists its names (service, service.localhost, aliases);
            // the service name is the authority of xds:///service.
            var domains = hosts.TryGetValue(service, out var host) ? host.Domains.Where(d => d.Length > 0) : [service];
            yield return new XdsResource(service, EnvoyResources.ServiceRoutes(service, domains, grpcByService[service]));
        }

        yield return new XdsResource(SharedRouteConfigurationName, EnvoyResources.SharedRoutes(SharedRouteConfigurationName, routing.SharedRoutes));
    }

    private IEnumerable<XdsResource> BuildClusters(RoutingSnapshot routing) =>
        routing.Clusters.Values.Select(cluster => new XdsResource(cluster.Name, EnvoyResources.Cluster(cluster.Name, SpeaksGrpc(cluster.Service))));

    private static IEnumerable<XdsResource> BuildLoadAssignments(RoutingSnapshot routing, XdsSnapshot? previous)
    {
        var meshPorts = routing.Listeners.Where(l => l.Service is not null).ToDictionary(l => l.Service!, l => l.Port, StringComparer.OrdinalIgnoreCase);
        foreach (var cluster in routing.Clusters.Values)
        {
            if (previous is not null
                && previous.Routing.Clusters.TryGetValue(cluster.Name, out var before)
                && ReferenceEquals(before, cluster)
                && previous.LoadAssignments.Resources.TryGetValue(cluster.Name, out var unchanged))
            {
                yield return unchanged;
                continue;
            }

            yield return new XdsResource(cluster.Name, EnvoyResources.LoadAssignment(cluster.Name, meshPorts[cluster.Service], cluster.Endpoints));
        }
    }

    private static IEnumerable<string> HttpServices(RoutingSnapshot routing) =>
        routing.Listeners.Where(l => l.Service is not null && l.Protocol == ServiceProtocol.Http).Select(l => l.Service!);

    /// <summary>gRPC needs HTTP/2 to the service; anything else keeps Envoy's HTTP/1.1 default.</summary>
    private bool SpeaksGrpc(string service) =>
        _manifest.Find(service) is { } spec && (spec.GrpcServices.Length > 0 || spec.Ready.Kind == ReadyKind.Grpc);
}
