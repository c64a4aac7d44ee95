using System.Net;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using EnvoyRoutes = Envoy.Config.Route.V3;

namespace MeshDev.Xds.Resources;

/// <summary>
/// Checks that a snapshot holds together before it is published (the go-control-plane rule): every name a resource
/// refers to exists, and nothing is in it that Envoy or a gRPC client would reject. An inconsistent snapshot is a bug
/// in the builder; the previous snapshot stays in service.
/// </summary>
public static class XdsSnapshotConsistency
{
    /// <summary>Every problem found, one sentence each; empty when the snapshot can be published.</summary>
    /// <param name="checkedBefore">
    /// A snapshot that passed this check (the one being served): when <paramref name="snapshot"/> shares its listeners,
    /// routes, clusters and endpoint names, only the endpoints that changed are looked at — the common case while a
    /// mesh runs, which keeps a publish cheap with hundreds of services.
    /// </param>
    public static IReadOnlyList<string> Check(XdsSnapshot snapshot, XdsSnapshot? checkedBefore = null)
    {
        var problems = new List<string>();
        if (checkedBefore is not null && ChangedEndpointsOnly(snapshot, checkedBefore) is { } changed)
        {
            foreach (var (name, resource) in changed)
            {
                CheckName(XdsTypes.ClusterLoadAssignment, name, resource, problems);
                CheckLoadAssignment((ClusterLoadAssignment)resource.Message, problems);
            }

            return problems;
        }

        foreach (var type in XdsTypes.PushOrder)
        {
            foreach (var (name, resource) in snapshot.Get(type)!.Resources)
            {
                CheckName(type, name, resource, problems);
            }
        }

        foreach (var resource in snapshot.Listeners.Resources.Values)
        {
            CheckListener((Listener)resource.Message, snapshot, problems);
        }

        foreach (var resource in snapshot.RouteConfigurations.Resources.Values)
        {
            CheckRoutes((EnvoyRoutes.RouteConfiguration)resource.Message, snapshot, problems);
        }

        foreach (var resource in snapshot.Clusters.Resources.Values)
        {
            CheckCluster((Cluster)resource.Message, snapshot, problems);
        }

        foreach (var resource in snapshot.LoadAssignments.Resources.Values)
        {
            CheckLoadAssignment((ClusterLoadAssignment)resource.Message, problems);
        }

        return problems;
    }

    /// <summary>
    /// The endpoints that changed when everything else is the same (listeners, routes and clusters are the same
    /// objects, endpoints have the same names); null when more than endpoints changed.
    /// </summary>
    private static List<KeyValuePair<string, XdsResource>>? ChangedEndpointsOnly(XdsSnapshot snapshot, XdsSnapshot checkedBefore)
    {
        if (!ReferenceEquals(snapshot.Listeners, checkedBefore.Listeners)
            || !ReferenceEquals(snapshot.RouteConfigurations, checkedBefore.RouteConfigurations)
            || !ReferenceEquals(snapshot.Clusters, checkedBefore.Clusters)
            || snapshot.LoadAssignments.Resources.Count != checkedBefore.LoadAssignments.Resources.Count)
        {
            return null;
        }

        // Both are sorted by name: one pass side by side.
        var changed = new List<KeyValuePair<string, XdsResource>>();
        using var before = checkedBefore.LoadAssignments.Resources.GetEnumerator();
        foreach (var entry in snapshot.LoadAssignments.Resources)
        {
            before.MoveNext();
            if (!string.Equals(entry.Key, before.Current.Key, StringComparison.Ordinal))
            {
                return null;
            }

            if (!ReferenceEquals(entry.Value, before.Current.Value))
            {
                changed.Add(entry);
            }
        }

        return changed;
    }

    private static void CheckName(string type, string key, XdsResource resource, List<string> problems)
    {
        var name = resource.Message switch
        {
            Listener l => l.Name,
            EnvoyRoutes.RouteConfiguration r => r.Name,
            Cluster c => c.Name,
            ClusterLoadAssignment a => a.ClusterName,
            _ => null,
        };
        if (name != key || resource.Packed.TypeUrl != type)
        {
            problems.Add($"{XdsTypes.ShortName(type)} resource '{key}' is a {resource.Packed.TypeUrl} named '{name}'");
        }
    }

    private static void CheckListener(Listener listener, XdsSnapshot snapshot, List<string> problems)
    {
        if (listener.ApiListener?.ApiListener_ is not { } packed || !packed.TryUnpack<HttpConnectionManager>(out var manager))
        {
            problems.Add($"listener '{listener.Name}' has no HttpConnectionManager api_listener");
            return;
        }

        if (string.IsNullOrEmpty(manager.StatPrefix))
        {
            problems.Add($"listener '{listener.Name}': the HttpConnectionManager has no stat_prefix");
        }

        if (manager.Rds?.ConfigSource?.Ads is null)
        {
            problems.Add($"listener '{listener.Name}': routes do not come over ADS");
        }
        else if (!snapshot.RouteConfigurations.Resources.ContainsKey(manager.Rds.RouteConfigName))
        {
            problems.Add($"listener '{listener.Name}' uses route configuration '{manager.Rds.RouteConfigName}', which does not exist");
        }

        if (manager.HttpFilters.Count == 0 || manager.HttpFilters[^1].Name != EnvoyResources.RouterFilterName)
        {
            problems.Add($"listener '{listener.Name}': the router is not the last HTTP filter");
        }
    }

    private static void CheckRoutes(EnvoyRoutes.RouteConfiguration configuration, XdsSnapshot snapshot, List<string> problems)
    {
        var domains = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var host in configuration.VirtualHosts)
        {
            if (host.Domains.Count == 0)
            {
                problems.Add($"route configuration '{configuration.Name}': virtual host '{host.Name}' has no domain");
            }

            foreach (var domain in host.Domains.Where(d => !domains.Add(d)))
            {
                problems.Add($"route configuration '{configuration.Name}': domain '{domain}' is in more than one virtual host");
            }

            foreach (var route in host.Routes)
            {
                if (route.Route_ is not { } action || !snapshot.Clusters.Resources.ContainsKey(action.Cluster))
                {
                    problems.Add($"route configuration '{configuration.Name}': route '{route.Name}' goes to cluster '{route.Route_?.Cluster}', which does not exist");
                }
            }
        }
    }

    private static void CheckCluster(Cluster cluster, XdsSnapshot snapshot, List<string> problems)
    {
        if (cluster.Type != Cluster.Types.DiscoveryType.Eds || cluster.EdsClusterConfig?.EdsConfig?.Ads is null)
        {
            problems.Add($"cluster '{cluster.Name}' does not take its endpoints from EDS over ADS");
            return;
        }

        if (cluster.ConnectTimeout is null || cluster.ConnectTimeout.ToTimeSpan() <= TimeSpan.Zero)
        {
            problems.Add($"cluster '{cluster.Name}' has no positive connect_timeout");
        }

        var assignment = string.IsNullOrEmpty(cluster.EdsClusterConfig.ServiceName) ? cluster.Name : cluster.EdsClusterConfig.ServiceName;
        if (!snapshot.LoadAssignments.Resources.ContainsKey(assignment))
        {
            problems.Add($"cluster '{cluster.Name}' has no ClusterLoadAssignment '{assignment}'");
        }
    }

    private static void CheckLoadAssignment(ClusterLoadAssignment assignment, List<string> problems)
    {
        if (assignment.Endpoints.Count == 0)
        {
            problems.Add($"ClusterLoadAssignment '{assignment.ClusterName}' has no endpoint (a stopped service's is the activator)");
        }

        foreach (var locality in assignment.Endpoints)
        {
            if (locality.Locality is null || locality.LoadBalancingWeight is not >= 1)
            {
                problems.Add($"ClusterLoadAssignment '{assignment.ClusterName}': a locality has no name or no weight (gRPC clients would ignore it)");
            }

            foreach (var endpoint in locality.LbEndpoints)
            {
                var address = endpoint.Endpoint?.Address?.SocketAddress;
                if (address is null || !IPAddress.TryParse(address.Address, out _) || address.PortValue is 0 or > 65535)
                {
                    problems.Add($"ClusterLoadAssignment '{assignment.ClusterName}': endpoint '{address}' is not an IP address and port");
                }

                if (endpoint.LoadBalancingWeight is not >= 1)
                {
                    problems.Add($"ClusterLoadAssignment '{assignment.ClusterName}': endpoint '{address}' has no weight");
                }
            }
        }
    }
}
