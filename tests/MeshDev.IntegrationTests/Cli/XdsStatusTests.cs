using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Grpc.Net.Client;
using MeshDev.Cli.Commands;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.Cli;

/// <summary>A rejected xDS update (NACK) is shown by <c>meshdev status</c>, with the client and its reason.</summary>
public sealed class XdsStatusTests
{
    private const string ClusterType = "type.googleapis.com/envoy.config.cluster.v3.Cluster";

    [Fact]
    public async Task Nack_from_a_client_is_shown_in_status()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("orders"));
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{mesh.Manifest.XdsPort}");
        using var call = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel).StreamAggregatedResources();

        await call.RequestStream.WriteAsync(new DiscoveryRequest { Node = new Node { Id = "sidecar-1" }, TypeUrl = ClusterType });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var clusters = call.ResponseStream.Current;
        Assert.Equal(ClusterType, clusters.TypeUrl);
        Assert.Single(clusters.Resources);
        Assert.Equal(1, mesh.Host.GetStatus().XdsClients);

        await call.RequestStream.WriteAsync(new DiscoveryRequest
        {
            TypeUrl = ClusterType,
            ResponseNonce = clusters.Nonce,
            ErrorDetail = new Google.Rpc.Status { Code = (int)StatusCode.InvalidArgument, Message = "cluster orders: unsupported lb_policy" },
        });

        await Eventually.UntilAsync(() => mesh.Host.GetStatus().XdsNacks is [_], "the NACK to be recorded");
        var rendered = StatusCommand.Render(mesh.Host.GetStatus());
        Assert.Contains($"xDS 127.0.0.1:{mesh.Manifest.XdsPort} with 1 client", rendered);
        Assert.Contains($"xDS NACK: sidecar-1 rejected CDS version {clusters.VersionInfo}", rendered);
        Assert.Contains("cluster orders: unsupported lb_policy", rendered);
        await call.RequestStream.CompleteAsync();
    }
}
