using System.Collections.Immutable;

namespace MeshDev.Xds.Resources;

/// <summary>The xDS resource types MeshDev serves, by type URL, and the order in which changes are pushed.</summary>
public static class XdsTypes
{
    public const string Listener = "type.googleapis.com/envoy.config.listener.v3.Listener";
    public const string RouteConfiguration = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
    public const string Cluster = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    public const string ClusterLoadAssignment = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

    /// <summary>
    /// Make before break (the xDS protocol's advice): clusters, then their endpoints, then the listeners and routes
    /// that point at them, so a client never follows a route to a cluster it does not know yet.
    /// </summary>
    public static readonly ImmutableArray<string> PushOrder = [Cluster, ClusterLoadAssignment, Listener, RouteConfiguration];

    /// <summary>An empty subscription means "everything" only for listeners and clusters (state of the world).</summary>
    public static bool AllowsWildcard(string typeUrl) => typeUrl is Listener or Cluster;

    public static bool IsKnown(string typeUrl) => typeUrl is Listener or RouteConfiguration or Cluster or ClusterLoadAssignment;

    /// <summary>LDS, RDS, CDS or EDS: the names people know these streams by.</summary>
    public static string ShortName(string typeUrl) => typeUrl switch
    {
        Listener => "LDS",
        RouteConfiguration => "RDS",
        Cluster => "CDS",
        ClusterLoadAssignment => "EDS",
        _ => typeUrl,
    };
}
