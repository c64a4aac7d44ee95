using System.Collections.Immutable;
using IPAddress = System.Net.IPAddress;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Upstreams.Http.V3;
using Google.Protobuf.WellKnownTypes;
using MeshDev.Routing;
using MeshDev.Runtime;
using EnvoyRoutes = Envoy.Config.Route.V3;

namespace MeshDev.Xds.Resources;

/// <summary>The Envoy messages for one service or route table; pure functions of their arguments.</summary>
internal static class EnvoyResources
{
    public const string RouterFilterName = "envoy.filters.http.router";
    public const string HttpProtocolOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

    /// <summary>Where every endpoint is: all of the mesh runs on this machine.</summary>
    public static readonly Locality Locality = new() { Region = "meshdev", Zone = "local" };

    /// <summary>A loopback connect either succeeds or is refused at once; this only bounds a stuck one.</summary>
    public static readonly Duration ConnectTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(1));

    private static readonly Any RouterConfig = Any.Pack(new Router());

    /// <summary>The listener a proxyless gRPC client resolves <c>xds:///{service}</c> to: its routes come over RDS.</summary>
    public static Listener Listener(string service) => new()
    {
        Name = service,
        ApiListener = new ApiListener
        {
            ApiListener_ = Any.Pack(new HttpConnectionManager
            {
                StatPrefix = service,
                Rds = new Rds { RouteConfigName = service, ConfigSource = OverAds() },
                HttpFilters = { new HttpFilter { Name = RouterFilterName, TypedConfig = RouterConfig } },
            }),
        },
    };

    /// <summary>
    /// A service's own routes (what its mesh port does): its host names, its gRPC services by name, and everything
    /// else, all to its cluster.
    /// </summary>
    public static EnvoyRoutes.RouteConfiguration ServiceRoutes(string service, IEnumerable<string> domains, IEnumerable<string> grpcServices) => new()
    {
        Name = service,
        IgnorePortInHostMatching = true,
        VirtualHosts =
        {
            new EnvoyRoutes.VirtualHost
            {
                Name = service,
                Domains = { domains },
                Routes = { grpcServices.Select(g => GrpcRoute(g, service)), PrefixRoute("default", "/", service) },
            },
        },
    };

    /// <summary>
    /// The shared port's routes, as <see cref="RouteMatcher"/> applies them: a virtual host per service (its Host
    /// names), the loopback host with path prefixes and gRPC services, and the wildcard host with gRPC services.
    /// </summary>
    public static EnvoyRoutes.RouteConfiguration SharedRoutes(string name, RouteConfiguration shared)
    {
        var configuration = new EnvoyRoutes.RouteConfiguration { Name = name, IgnorePortInHostMatching = true };
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var host in shared.VirtualHosts)
        {
            // Envoy requires every domain once per route configuration; "" (a request without Host) cannot be one.
            var domains = host.Domains.Where(d => d.Length > 0 && seen.Add(d)).ToArray();
            if (domains.Length == 0)
            {
                continue;
            }

            configuration.VirtualHosts.Add(new EnvoyRoutes.VirtualHost
            {
                Name = host.Name,
                Domains = { domains },
                Routes = { host.Routes.SelectMany(SharedRoute) },
            });
        }

        return configuration;
    }

    /// <summary>An EDS cluster whose endpoints come over the same ADS stream; gRPC services are spoken to in HTTP/2.</summary>
    public static Cluster Cluster(string service, bool http2)
    {
        var cluster = new Cluster
        {
            Name = service,
            Type = Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType.Eds,
            EdsClusterConfig = new Envoy.Config.Cluster.V3.Cluster.Types.EdsClusterConfig { EdsConfig = OverAds(), ServiceName = service },
            ConnectTimeout = ConnectTimeout,
            LbPolicy = Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy.RoundRobin,
        };
        if (http2)
        {
            cluster.TypedExtensionProtocolOptions[HttpProtocolOptionsKey] = Any.Pack(new HttpProtocolOptions
            {
                ExplicitHttpConfig = new HttpProtocolOptions.Types.ExplicitHttpConfig { Http2ProtocolOptions = new Http2ProtocolOptions() },
            });
        }

        return cluster;
    }

    /// <summary>
    /// The service's running instances when they have IP addresses (EDS endpoints are never resolved by name),
    /// otherwise the activator: the service's mesh port, which launches it on the first call.
    /// </summary>
    public static ClusterLoadAssignment LoadAssignment(string cluster, int activatorPort, ImmutableArray<ServiceEndpoint> endpoints)
    {
        var direct = endpoints.Where(e => IPAddress.TryParse(e.Host, out _)).Distinct().ToArray();
        ServiceEndpoint[] targets = direct.Length > 0 ? direct : [Activator(activatorPort)];
        return new ClusterLoadAssignment
        {
            ClusterName = cluster,
            Endpoints =
            {
                new LocalityLbEndpoints
                {
                    Locality = Locality,
                    LoadBalancingWeight = 1, // gRPC clients ignore a locality without a weight
                    LbEndpoints = { targets.Select(LbEndpoint) },
                },
            },
        };
    }

    public static ServiceEndpoint Activator(int meshPort) => new("127.0.0.1", meshPort);

    /// <summary>"Over the same ADS stream, v3 resources": the config source of every RDS and EDS reference.</summary>
    public static ConfigSource OverAds() => new() { Ads = new AggregatedConfigSource(), ResourceApiVersion = ApiVersion.V3 };

    private static LbEndpoint LbEndpoint(ServiceEndpoint endpoint) => new()
    {
        Endpoint = new Endpoint
        {
            Address = new Address { SocketAddress = new SocketAddress { Address = endpoint.Host, PortValue = (uint)endpoint.Port } },
        },
        HealthStatus = HealthStatus.Healthy,
        LoadBalancingWeight = 1,
    };

    private static IEnumerable<EnvoyRoutes.Route> SharedRoute(RouteEntry route)
    {
        if (route.Grpc)
        {
            yield return GrpcRoute(route.PathPrefix[1..], route.Cluster);
            yield break;
        }

        if (route.PathPrefix.Length <= 1)
        {
            yield return PrefixRoute("/", "/", route.Cluster);
            yield break;
        }

        // Segment-aware like RouteMatcher: /orders and /orders/…, not /orders2. Envoy's path_separated_prefix says the
        // same, but gRPC clients only know prefix and path, so it is spelled as the two.
        yield return new EnvoyRoutes.Route
        {
            Name = route.PathPrefix,
            Match = new EnvoyRoutes.RouteMatch { Path = route.PathPrefix, CaseSensitive = false },
            Route_ = ToCluster(route.Cluster),
        };
        yield return PrefixRoute(route.PathPrefix + "/", route.PathPrefix + "/", route.Cluster);
    }

    private static EnvoyRoutes.Route GrpcRoute(string grpcService, string cluster) => new()
    {
        Name = grpcService,
        Match = new EnvoyRoutes.RouteMatch { Prefix = "/" + grpcService + "/", Grpc = new EnvoyRoutes.RouteMatch.Types.GrpcRouteMatchOptions() },
        Route_ = ToCluster(cluster),
    };

    private static EnvoyRoutes.Route PrefixRoute(string name, string prefix, string cluster) => new()
    {
        Name = name,
        Match = new EnvoyRoutes.RouteMatch { Prefix = prefix, CaseSensitive = false },
        Route_ = ToCluster(cluster),
    };

    // No timeout (0s): a request may wait for a launch (up to the service's startTimeout) and a stream may stay open.
    private static EnvoyRoutes.RouteAction ToCluster(string cluster) => new() { Cluster = cluster, Timeout = new Duration() };
}
