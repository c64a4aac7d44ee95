using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MeshDev.Xds.Server;

/// <summary>The gRPC ADS service (state of the world): one <see cref="AdsStream"/> per call.</summary>
internal sealed class AggregatedDiscoveryServer(
    XdsSnapshotCache cache, XdsClients clients, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<AggregatedDiscoveryServer> logger)
    : AggregatedDiscoveryService.AggregatedDiscoveryServiceBase
{
    public override async Task StreamAggregatedResources(IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext context)
    {
        // A stream never ends by itself: without this, stopping the mesh would wait for every connected client.
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var stream = new AdsStream(clients.NextStreamId(), context.Peer, responseStream, cache, clients, time, logger);
        clients.Add(stream);
        try
        {
            await stream.RunAsync(requestStream, ended.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ended.IsCancellationRequested || ex is IOException)
        {
            // The client left, or the mesh is stopping: nothing to answer.
        }
        finally
        {
            clients.Remove(stream);
        }
    }
}
