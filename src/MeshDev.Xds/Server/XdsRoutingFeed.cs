using MeshDev.Routing;
using MeshDev.Xds.Resources;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MeshDev.Xds.Server;

/// <summary>
/// The link from the routing table to xDS: while started, every <see cref="RoutingTable.Changed"/> builds a new
/// snapshot, checks it and publishes it to the <see cref="XdsSnapshotCache"/>. A hosted service, so it follows the
/// table from before the listeners open until after they closed.
/// </summary>
public sealed class XdsRoutingFeed : IHostedService
{
    private readonly RoutingTable _table;
    private readonly XdsSnapshotBuilder _builder;
    private readonly XdsSnapshotCache _cache;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();

    public XdsRoutingFeed(RoutingTable table, XdsSnapshotBuilder builder, XdsSnapshotCache cache, ILogger<XdsRoutingFeed> logger)
    {
        _table = table;
        _builder = builder;
        _cache = cache;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _table.Changed += OnChanged;
        OnChanged(_table.Current); // a change raised before we subscribed
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _table.Changed -= OnChanged;
        return Task.CompletedTask;
    }

    // Changes can be raised concurrently (one per service); an older routing version arriving late is skipped, since
    // the newer one already holds its change.
    private void OnChanged(RoutingSnapshot routing)
    {
        lock (_gate)
        {
            var current = _cache.Current;
            if (routing.Version <= current.Routing.Version)
            {
                return;
            }

            if (!_cache.TryPublish(_builder.Build(routing, current), out var problems))
            {
                XdsLog.SnapshotRejected(_logger, routing.Version, string.Join("; ", problems));
            }
        }
    }
}
