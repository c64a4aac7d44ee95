using System.Diagnostics;
using System.Threading.Channels;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Grpc.Net.Client;
using MeshDev.Routing;
using MeshDev.Runtime;
using MeshDev.Testing;
using MeshDev.Xds.Hosting;
using MeshDev.Xds.Resources;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace MeshDev.XdsBench;

/// <summary>
/// "Service ready" to "client has the new ClusterLoadAssignment": the ADS server as the daemon wires it (routing
/// table → snapshot feed → Kestrel h2c) in this process, and Grpc.Net.Client ADS clients subscribed to one service's
/// endpoints. A round marks the service ready (<see cref="RoutingTable.SetEndpoints"/>, what the activator does when
/// its readiness probe passes) and stops when every client has decoded the pushed endpoint; then the service stops
/// (endpoint back to the activator) and that push is timed too.
/// </summary>
internal sealed record PushResults(int Services, int Clients, Stats ReadyFirstMs, Stats ReadyLastMs, Stats StoppedLastMs);

internal static class PushLatencyBench
{
    public static async Task<PushResults> RunAsync(int services, int clients, int rounds, int warmup)
    {
        var manifest = GeneratedManifest.Create(services);
        var routing = new RoutingTable(manifest);
        var builder = LoopbackKestrel.CreateBuilder(HttpProtocols.Http2);
        builder.Services.AddSingleton(manifest);
        builder.Services.AddSingleton(routing);
        builder.Services.AddMeshXds();
        await using var app = builder.Build();
        app.MapXdsServer();
        var port = await LoopbackKestrel.StartAsync(app);

        var target = GeneratedManifest.Name(1);
        var meshPort = manifest.Find(target)!.MeshPort;
        var subscribers = new List<Subscriber>();
        try
        {
            for (var i = 0; i < clients; i++)
            {
                subscribers.Add(await Subscriber.StartAsync(port, $"bench-{i}", target));
            }

            var readyFirst = new List<double>();
            var readyLast = new List<double>();
            var stoppedLast = new List<double>();
            for (var round = 0; round < warmup + rounds; round++)
            {
                var readyPort = 40000 + round;
                var start = Stopwatch.GetTimestamp();
                routing.SetEndpoints(target, [new ServiceEndpoint("127.0.0.1", readyPort)]);
                var received = await Task.WhenAll(subscribers.Select(s => s.WaitForAsync(readyPort)));
                var stopStart = Stopwatch.GetTimestamp();
                routing.SetEndpoints(target, []);
                var stopped = await Task.WhenAll(subscribers.Select(s => s.WaitForAsync(meshPort)));
                if (round >= warmup)
                {
                    readyFirst.Add(Stopwatch.GetElapsedTime(start, received.Min()).TotalMilliseconds);
                    readyLast.Add(Stopwatch.GetElapsedTime(start, received.Max()).TotalMilliseconds);
                    stoppedLast.Add(Stopwatch.GetElapsedTime(stopStart, stopped.Max()).TotalMilliseconds);
                }
            }

            return new PushResults(services, clients, Stats.Of(readyFirst), Stats.Of(readyLast), Stats.Of(stoppedLast));
        }
        finally
        {
            foreach (var subscriber in subscribers)
            {
                await subscriber.DisposeAsync();
            }

            await app.StopAsync();
        }
    }

    /// <summary>One ADS stream subscribed to one cluster's endpoints; it ACKs every response, as real clients do.</summary>
    private sealed class Subscriber : IAsyncDisposable
    {
        private readonly GrpcChannel _channel;
        private readonly AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse> _call;
        private readonly Channel<(long Timestamp, int Port)> _received = Channel.CreateUnbounded<(long, int)>();
        private readonly string _cluster;
        private Task _reading = Task.CompletedTask;

        private Subscriber(GrpcChannel channel, string cluster)
        {
            _channel = channel;
            _cluster = cluster;
            _call = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel).StreamAggregatedResources();
        }

        public static async Task<Subscriber> StartAsync(int port, string nodeId, string cluster)
        {
            var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { UseProxy = false } });
            var subscriber = new Subscriber(channel, cluster);
            await subscriber._call.RequestStream.WriteAsync(new DiscoveryRequest
            {
                Node = new Node { Id = nodeId, UserAgentName = "MeshDev.XdsBench" },
                TypeUrl = XdsTypes.ClusterLoadAssignment,
                ResourceNames = { cluster },
            });
            subscriber._reading = subscriber.ReadAsync();
            await subscriber._received.Reader.ReadAsync(); // the initial assignment
            return subscriber;
        }

        /// <summary>When (Stopwatch timestamp) the assignment whose endpoint has <paramref name="port"/> was decoded.</summary>
        public async Task<long> WaitForAsync(int port)
        {
            using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (true)
            {
                var (timestamp, received) = await _received.Reader.ReadAsync(guard.Token);
                if (received == port)
                {
                    return timestamp;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            // Cancels the call: an ACK may be on its way, so the request stream cannot simply be completed.
            _call.Dispose();
            try
            {
                await _reading;
            }
            catch (Exception e) when (e is RpcException or OperationCanceledException or InvalidOperationException)
            {
            }

            _channel.Dispose();
        }

        private async Task ReadAsync()
        {
            await foreach (var response in _call.ResponseStream.ReadAllAsync())
            {
                var timestamp = Stopwatch.GetTimestamp();
                var assignment = response.Resources.Single().Unpack<ClusterLoadAssignment>();
                var port = (int)assignment.Endpoints[0].LbEndpoints[0].Endpoint.Address.SocketAddress.PortValue;
                _received.Writer.TryWrite((timestamp, port));
                await _call.RequestStream.WriteAsync(new DiscoveryRequest
                {
                    TypeUrl = response.TypeUrl,
                    VersionInfo = response.VersionInfo,
                    ResponseNonce = response.Nonce,
                    ResourceNames = { _cluster },
                });
            }
        }
    }
}
