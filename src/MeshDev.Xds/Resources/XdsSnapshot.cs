using MeshDev.Routing;

namespace MeshDev.Xds.Resources;

/// <summary>
/// One consistent set of xDS resources built from one <see cref="RoutingSnapshot"/>: what every ADS stream serves
/// until the next one is published. Built by <see cref="XdsSnapshotBuilder"/>, checked by
/// <see cref="XdsSnapshotConsistency"/>, published through <see cref="Server.XdsSnapshotCache"/>.
/// </summary>
public sealed class XdsSnapshot
{
    public XdsSnapshot(RoutingSnapshot routing, XdsResourceSet listeners, XdsResourceSet routeConfigurations, XdsResourceSet clusters, XdsResourceSet loadAssignments)
    {
        Routing = routing;
        Listeners = listeners;
        RouteConfigurations = routeConfigurations;
        Clusters = clusters;
        LoadAssignments = loadAssignments;
    }

    /// <summary>The routing table version this snapshot was built from.</summary>
    public RoutingSnapshot Routing { get; }

    /// <summary>LDS: one Listener per HTTP service (an api_listener for proxyless gRPC clients).</summary>
    public XdsResourceSet Listeners { get; }

    /// <summary>RDS: one RouteConfiguration per HTTP service, plus the shared port's.</summary>
    public XdsResourceSet RouteConfigurations { get; }

    /// <summary>CDS: one EDS Cluster per service.</summary>
    public XdsResourceSet Clusters { get; }

    /// <summary>EDS: one ClusterLoadAssignment per service: the activator while it is stopped, the service once ready.</summary>
    public XdsResourceSet LoadAssignments { get; }

    /// <summary>The resources of <paramref name="typeUrl"/>, or null for a type MeshDev does not serve.</summary>
    public XdsResourceSet? Get(string typeUrl) => typeUrl switch
    {
        XdsTypes.Listener => Listeners,
        XdsTypes.RouteConfiguration => RouteConfigurations,
        XdsTypes.Cluster => Clusters,
        XdsTypes.ClusterLoadAssignment => LoadAssignments,
        _ => null,
    };
}
