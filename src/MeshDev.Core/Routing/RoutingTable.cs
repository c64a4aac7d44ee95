using System.Collections.Immutable;
using MeshDev.Catalog;
using MeshDev.Runtime;

namespace MeshDev.Routing;

/// <summary>
/// Builds the routing snapshot from the manifest and swaps in a new one whenever an endpoint changes.
/// Readers take <see cref="Current"/> (immutable); writers are serialized.
/// </summary>
public sealed class RoutingTable
{
    /// <summary>Host names that mean "the mesh itself" on the shared port: these use the path-prefix routes.</summary>
    public static readonly ImmutableArray<string> LoopbackDomains = ["localhost", "127.0.0.1", "[::1]", ""];

    /// <summary>The domain of the virtual host that routes gRPC calls by service name whatever their :authority.</summary>
    public const string AnyDomain = "*";

    private readonly Lock _gate = new();
    private volatile RoutingSnapshot _current;

    public RoutingTable(MeshManifest manifest)
    {
        Manifest = manifest;
        _current = Build(manifest, version: 1, ImmutableDictionary<string, ImmutableArray<ServiceEndpoint>>.Empty);
        Matcher = new RouteMatcher(_current);
    }

    public MeshManifest Manifest { get; }

    public RoutingSnapshot Current => _current;

    /// <summary>Matcher for <see cref="Current"/>; replaced with it.</summary>
    public RouteMatcher Matcher { get; private set; }

    /// <summary>Raised after a new snapshot is published.</summary>
    public event Action<RoutingSnapshot>? Changed;

    /// <summary>Points a service's cluster at its running instance(s), or back at the activator (empty).</summary>
    public void SetEndpoints(string service, ImmutableArray<ServiceEndpoint> endpoints)
    {
        RoutingSnapshot next;
        lock (_gate)
        {
            var current = _current;
            var cluster = current.Clusters[service];
            if (cluster.Endpoints.SequenceEqual(endpoints))
            {
                return;
            }

            next = current with
            {
                Version = current.Version + 1,
                Clusters = current.Clusters.SetItem(service, cluster with { Endpoints = endpoints }),
            };
            _current = next;
        }

        Changed?.Invoke(next);
    }

    private static RoutingSnapshot Build(MeshManifest manifest, long version, ImmutableDictionary<string, ImmutableArray<ServiceEndpoint>> endpoints)
    {
        var listeners = ImmutableArray.CreateBuilder<MeshListener>();
        listeners.Add(new MeshListener("shared", manifest.Mesh.HttpPort, Service: null));
        foreach (var service in manifest.Services)
        {
            listeners.Add(new MeshListener(service.Name, service.MeshPort, service.Name, service.Protocol));
        }

        // TCP services are reached on their mesh port only: no Host, path or gRPC routes.
        var httpServices = manifest.Services.Where(s => s.Protocol == ServiceProtocol.Http).ToArray();
        var virtualHosts = ImmutableArray.CreateBuilder<VirtualHost>();
        foreach (var service in httpServices)
        {
            virtualHosts.Add(new VirtualHost(service.Name, [.. service.AllHosts], [new RouteEntry("/", service.Name)]));
        }

        // gRPC services by name, then path prefixes, apply when the request is addressed to the mesh itself
        // (localhost, 127.0.0.1); longest first. gRPC routes also apply whatever the :authority (a gRPC client
        // usually names the host it dialled), through a wildcard virtual host that holds nothing else.
        var grpcRoutes = httpServices
            .SelectMany(s => s.GrpcServices.Select(g => new RouteEntry("/" + g, s.Name, Grpc: true)))
            .ToImmutableArray();
        var pathRoutes = httpServices
            .SelectMany(s => s.Paths.Select(p => new RouteEntry(p.TrimEnd('/'), s.Name)))
            .Concat(grpcRoutes)
            .OrderByDescending(r => r.PathPrefix.Length)
            .ToImmutableArray();
        virtualHosts.Add(new VirtualHost("mesh", LoopbackDomains, pathRoutes));
        virtualHosts.Add(new VirtualHost("grpc", [AnyDomain], grpcRoutes));

        var clusters = manifest.Services.ToImmutableDictionary(
            s => s.Name,
            s => new MeshCluster(s.Name, s.Name, endpoints.GetValueOrDefault(s.Name, [])),
            StringComparer.OrdinalIgnoreCase);

        return new RoutingSnapshot(version, listeners.ToImmutable(), new RouteConfiguration("shared", virtualHosts.ToImmutable()), clusters);
    }
}
