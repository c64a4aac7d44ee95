using MeshDev.Routing;
using MeshDev.Xds.Resources;
using Microsoft.Extensions.Logging;

namespace MeshDev.Xds.Server;

/// <summary>
/// Follows the routing table: every <see cref="RoutingTable.Changed"/> builds a new snapshot, checks it and publishes
/// it. Changes can be raised concurrently (one per service); an older routing version arriving late is skipped,
/// since the newer one already holds its change.
/// </summary>
public sealed class XdsRoutingFeed : IDisposable
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
        table.Changed += OnChanged;
        OnChanged(table.Current); // a change raised before we subscribed
    }

    public void Dispose() => _table.Changed -= OnChanged;

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
