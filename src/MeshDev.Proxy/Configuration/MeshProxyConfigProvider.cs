using MeshDev.Routing;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace MeshDev.Proxy.Configuration;

/// <summary>
/// Feeds YARP from the routing table: one route and one cluster per service, republished whenever the table
/// changes (an endpoint appears when a service is ready and goes when it stops).
/// </summary>
/// <remarks>
/// Requests are matched by <see cref="MeshRoutingMiddleware"/>, which selects the YARP endpoint itself: ASP.NET's host
/// matching looks at the Host header's port, while a mesh port must take everything that arrives on its socket.
/// The routes' own Host match is therefore a reserved name that no client sends.
/// </remarks>
public sealed class MeshProxyConfigProvider : IProxyConfigProvider
{
    /// <summary>Long enough for server-sent events and long polls with quiet gaps.</summary>
    private static readonly TimeSpan ActivityTimeout = TimeSpan.FromHours(1);

    private static readonly IReadOnlyDictionary<string, string> NoForwardedHeaders = new Dictionary<string, string> { ["X-Forwarded"] = "Off" };

    private volatile Snapshot _config;

    public MeshProxyConfigProvider(RoutingTable table)
    {
        _config = new Snapshot(table.Current);
        table.Changed += snapshot =>
        {
            var previous = _config;
            _config = new Snapshot(snapshot);
            previous.SignalChange();
        };
    }

    public IProxyConfig GetConfig() => _config;

    /// <summary>The reserved Host each route is registered under; never matched by a client.</summary>
    public static string RouteHost(string service) => $"{service}.route.meshdev.invalid";

    private sealed class Snapshot : IProxyConfig
    {
        private readonly CancellationTokenSource _changed = new();

        public Snapshot(RoutingSnapshot snapshot)
        {
            Routes = snapshot.Clusters.Values
                .Select(c => new RouteConfig
                {
                    RouteId = c.Service,
                    ClusterId = c.Name,
                    Match = new RouteMatch { Hosts = [RouteHost(c.Service)], Path = "/{**catch-all}" },
                    // No X-Forwarded-* headers: every caller is on this machine, so they would only tell the service
                    // "127.0.0.1"; leaving them out saves work on both sides of every call (devtools/bench).
                    Transforms = [NoForwardedHeaders],
                })
                .ToArray();
            Clusters = snapshot.Clusters.Values
                .Select(c => new ClusterConfig
                {
                    ClusterId = c.Name,
                    Destinations = c.Endpoints.ToDictionary(e => e.ToString(), e => new DestinationConfig { Address = e.HttpUri.ToString() }),
                    HttpRequest = new ForwarderRequestConfig { ActivityTimeout = ActivityTimeout },
                    Metadata = new Dictionary<string, string> { ["meshdev.version"] = snapshot.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                })
                .ToArray();
            ChangeToken = new CancellationChangeToken(_changed.Token);
        }

        public IReadOnlyList<RouteConfig> Routes { get; }

        public IReadOnlyList<ClusterConfig> Clusters { get; }

        public IChangeToken ChangeToken { get; }

        public void SignalChange() => _changed.Cancel();
    }
}
