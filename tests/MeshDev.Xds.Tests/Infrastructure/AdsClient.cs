using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace MeshDev.Xds.Tests.Infrastructure;

/// <summary>
/// One ADS stream driven by hand (Grpc.Net.Client), to test the protocol step by step: send a request, read the next
/// response. Responses arrive in order on one stream, so "the next response is X" also proves nothing came before it.
/// </summary>
internal sealed class AdsClient : IAsyncDisposable
{
    /// <summary>Only a hang runs into this; no test waits for it to pass.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private readonly GrpcChannel _channel;
    private readonly AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse> _call;
    private bool _sentNode;
    private int _syncs;

    public AdsClient(GrpcChannel channel, string nodeId)
    {
        _channel = channel;
        NodeId = nodeId;
        _call = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel).StreamAggregatedResources();
    }

    public string NodeId { get; }

    /// <summary>Subscribes (or re-subscribes) to <paramref name="typeUrl"/>: no nonce, so it is an initial request.</summary>
    public Task SubscribeAsync(string typeUrl, params string[] names) => SendAsync(new DiscoveryRequest { TypeUrl = typeUrl, ResourceNames = { names } });

    /// <summary>ACKs <paramref name="response"/>, staying subscribed to <paramref name="names"/>.</summary>
    public Task AckAsync(DiscoveryResponse response, params string[] names) => SendAsync(new DiscoveryRequest
    {
        TypeUrl = response.TypeUrl,
        VersionInfo = response.VersionInfo,
        ResponseNonce = response.Nonce,
        ResourceNames = { names },
    });

    /// <summary>NACKs <paramref name="response"/>: the version stays <paramref name="acceptedVersion"/> and error_detail says why.</summary>
    public Task NackAsync(DiscoveryResponse response, string acceptedVersion, string error, params string[] names) => SendAsync(new DiscoveryRequest
    {
        TypeUrl = response.TypeUrl,
        VersionInfo = acceptedVersion,
        ResponseNonce = response.Nonce,
        ResourceNames = { names },
        ErrorDetail = new Google.Rpc.Status { Code = (int)StatusCode.InvalidArgument, Message = error },
    });

    /// <summary>
    /// Returns once the server has handled everything sent so far: it answers requests in order, and this asks for a
    /// route configuration that does not exist under a new name, which always gets a (empty) response. Use it before
    /// changing the routing table, so that an ACK in flight is not overtaken by the push of the change (the ACK would
    /// then carry a stale nonce and be ignored, as the protocol says).
    /// </summary>
    public async Task SyncAsync()
    {
        await SubscribeAsync(MeshDev.Xds.Resources.XdsTypes.RouteConfiguration, $"meshdev-test-sync-{++_syncs}");
        Assert.Empty((await ReceiveAsync(MeshDev.Xds.Resources.XdsTypes.RouteConfiguration)).Resources);
    }

    public async Task SendAsync(DiscoveryRequest request)
    {
        if (!_sentNode)
        {
            // Like real clients: the node goes with the first request only.
            request.Node = new Node { Id = NodeId, Cluster = "tests", UserAgentName = "MeshDev.Xds.Tests", UserAgentVersion = "1" };
            _sentNode = true;
        }

        await _call.RequestStream.WriteAsync(request);
    }

    /// <summary>The next response on the stream.</summary>
    public async Task<DiscoveryResponse> ReceiveAsync()
    {
        using var guard = new CancellationTokenSource(HangGuard);
        Assert.True(await _call.ResponseStream.MoveNext(guard.Token), "the ADS stream ended");
        return _call.ResponseStream.Current;
    }

    /// <summary>The next response, which must be of <paramref name="typeUrl"/>.</summary>
    public async Task<DiscoveryResponse> ReceiveAsync(string typeUrl)
    {
        var response = await ReceiveAsync();
        Assert.True(response.TypeUrl == typeUrl, $"expected a {typeUrl} response, got {response.TypeUrl} version {response.VersionInfo}");
        return response;
    }

    public static T[] Unpack<T>(DiscoveryResponse response)
        where T : IMessage<T>, new() => [.. response.Resources.Select(r => r.Unpack<T>())];

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _call.RequestStream.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException)
        {
        }

        _call.Dispose();
        _channel.Dispose();
    }
}
