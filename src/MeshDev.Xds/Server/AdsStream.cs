using System.Collections.Immutable;
using System.Globalization;
using System.Threading.Channels;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;
using MeshDev.Xds.Resources;
using Microsoft.Extensions.Logging;

namespace MeshDev.Xds.Server;

/// <summary>
/// One state-of-the-world ADS stream. Requests and snapshot changes are handled one at a time, in order, by a single
/// loop that is also the only writer of responses.
/// </summary>
/// <remarks>
/// The rules, per resource type: a request whose nonce is not the latest one sent is stale and ignored; with the
/// latest nonce it ACKs (no <c>error_detail</c>) or NACKs (<c>error_detail</c> set) that response. A response goes
/// out for the first request, when the subscription changes, and when a new snapshot changes what this subscription
/// gets (pushed by the snapshot event only, never by an ACK, so the push order holds) — never again for the same content after a NACK, so a client that rejects a version is not flooded with it.
/// After a snapshot change the types go out in <see cref="XdsTypes.PushOrder"/>.
/// </remarks>
internal sealed class AdsStream
{
    private static readonly ControlPlane ControlPlane = new() { Identifier = "meshdev" };

    private readonly IServerStreamWriter<DiscoveryResponse> _responses;
    private readonly XdsSnapshotCache _cache;
    private readonly XdsClients _clients;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, TypeSubscription> _subscriptions = new(StringComparer.Ordinal);

    // Requests as they arrive, and null for "a snapshot was published" (at most one queued at a time).
    private readonly Channel<DiscoveryRequest?> _events = Channel.CreateUnbounded<DiscoveryRequest?>(new UnboundedChannelOptions { SingleReader = true });
    private int _snapshotQueued;
    private long _lastNonce;
    private Node? _node;
    private volatile View _view;

    public AdsStream(long id, string peer, IServerStreamWriter<DiscoveryResponse> responses, XdsSnapshotCache cache, XdsClients clients, TimeProvider time, ILogger logger)
    {
        Id = id;
        _responses = responses;
        _cache = cache;
        _clients = clients;
        _time = time;
        _logger = logger;
        _view = new View(new XdsClientInfo(id, "", "", "", peer, time.GetUtcNow(), []), ImmutableDictionary<string, IReadOnlyDictionary<string, XdsResource>>.Empty);
    }

    public long Id { get; }

    /// <summary>A consistent picture of the stream, updated after every event (read from any thread).</summary>
    public XdsClientInfo Info => _view.Info;

    public IMessage? AcceptedResource(string typeUrl, string name) =>
        _view.Accepted.TryGetValue(typeUrl, out var accepted) && accepted.TryGetValue(name, out var resource) ? resource.Message : null;

    public async Task RunAsync(IAsyncStreamReader<DiscoveryRequest> requests, CancellationToken cancellationToken)
    {
        using var subscription = _cache.Subscribe(OnPublished);
        var reading = ReadRequestsAsync(requests, cancellationToken);
        try
        {
            await foreach (var request in _events.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (request is null)
                {
                    Volatile.Write(ref _snapshotQueued, 0);
                    await PushChangesAsync(_cache.Current, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await HandleRequestAsync(request, _cache.Current, cancellationToken).ConfigureAwait(false);
                }

                UpdateView();
            }
        }
        finally
        {
            _events.Writer.TryComplete();
            await reading.ConfigureAwait(false);
            XdsLog.ClientDisconnected(_logger, NodeId, Id);
        }
    }

    private string NodeId => _node?.Id ?? "";

    private void OnPublished()
    {
        if (Interlocked.Exchange(ref _snapshotQueued, 1) == 0)
        {
            _events.Writer.TryWrite(null);
        }
    }

    private async Task ReadRequestsAsync(IAsyncStreamReader<DiscoveryRequest> requests, CancellationToken cancellationToken)
    {
        try
        {
            while (await requests.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                _events.Writer.TryWrite(requests.Current);
            }

            _events.Writer.TryComplete();
        }
        catch (Exception ex)
        {
            // The client went away (reset, cancelled); the loop ends with this.
            _events.Writer.TryComplete(ex);
        }
    }

    private async Task HandleRequestAsync(DiscoveryRequest request, XdsSnapshot snapshot, CancellationToken cancellationToken)
    {
        if (_node is null && request.Node is { } node)
        {
            _node = node;
            XdsLog.ClientConnected(_logger, node.Id, node.UserAgentName, Info.Peer, Id);
        }

        if (!XdsTypes.IsKnown(request.TypeUrl))
        {
            XdsLog.UnknownType(_logger, NodeId, request.TypeUrl);
            return;
        }

        if (!_subscriptions.TryGetValue(request.TypeUrl, out var subscription))
        {
            subscription = new TypeSubscription(request.TypeUrl);
            _subscriptions.Add(request.TypeUrl, subscription);
        }

        // An empty nonce starts (or restarts) a subscription; anything else answers one of our responses.
        var initial = request.ResponseNonce.Length == 0;
        if (!initial)
        {
            if (request.ResponseNonce != subscription.SentNonce)
            {
                // Answers a response that a newer one already replaced; the client will answer that one too.
                var type = XdsTypes.ShortName(request.TypeUrl); // a constant per type, so nothing to save by skipping it
                XdsLog.StaleNonce(_logger, NodeId, type, request.ResponseNonce, subscription.SentNonce);
                return;
            }

            if (request.ErrorDetail is { } error)
            {
                var nack = new XdsNack(NodeId, XdsTypes.ShortName(request.TypeUrl), request.TypeUrl, subscription.SentVersion!, request.ResponseNonce,
                    error.Code, error.Message, _time.GetUtcNow());
                subscription.MarkRejected(nack);
                _clients.RecordNack(nack);
                XdsLog.Nack(_logger, NodeId, nack.Type, nack.Version, nack.Nonce, error.Message);
            }
            else
            {
                subscription.MarkAccepted(request.VersionInfo);
            }
        }

        // An ACK or NACK that keeps the subscription sends nothing: content published since is pushed by the snapshot
        // event queued behind it, in push order for all types (answering here would send this type out of order).
        var changed = subscription.Update(request.ResourceNames);
        if (initial || changed)
        {
            await SendAsync(subscription, snapshot, force: true, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task PushChangesAsync(XdsSnapshot snapshot, CancellationToken cancellationToken)
    {
        foreach (var typeUrl in XdsTypes.PushOrder)
        {
            if (_subscriptions.TryGetValue(typeUrl, out var subscription))
            {
                await SendAsync(subscription, snapshot, force: false, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task SendAsync(TypeSubscription subscription, XdsSnapshot snapshot, bool force, CancellationToken cancellationToken)
    {
        var set = snapshot.Get(subscription.TypeUrl)!;
        var resources = subscription.Select(set);
        if (!force && subscription.Sent is { } sent && XdsResourceSet.SameContent(sent, resources))
        {
            return;
        }

        var nonce = (++_lastNonce).ToString(CultureInfo.InvariantCulture);
        var response = new DiscoveryResponse { VersionInfo = set.VersionInfo, TypeUrl = subscription.TypeUrl, Nonce = nonce, ControlPlane = ControlPlane };
        foreach (var resource in resources.Values)
        {
            response.Resources.Add(resource.Packed);
        }

        await _responses.WriteAsync(response, cancellationToken).ConfigureAwait(false);
        subscription.MarkSent(set.VersionInfo, nonce, resources);
        var type = XdsTypes.ShortName(subscription.TypeUrl); // a constant per type, so nothing to save by skipping it
        XdsLog.Sent(_logger, NodeId, type, set.VersionInfo, nonce, resources.Count);
    }

    private void UpdateView()
    {
        var node = _node;
        var userAgent = node is null ? "" : $"{node.UserAgentName} {node.UserAgentVersion}".Trim();
        var info = _view.Info with
        {
            NodeId = node?.Id ?? "",
            NodeCluster = node?.Cluster ?? "",
            UserAgent = userAgent,
            Subscriptions = [.. XdsTypes.PushOrder.Where(_subscriptions.ContainsKey).Select(t => _subscriptions[t].ToInfo())],
        };
        _view = new View(info, _subscriptions.ToImmutableDictionary(s => s.Key, s => s.Value.Accepted));
    }

    private sealed record View(XdsClientInfo Info, ImmutableDictionary<string, IReadOnlyDictionary<string, XdsResource>> Accepted);
}
