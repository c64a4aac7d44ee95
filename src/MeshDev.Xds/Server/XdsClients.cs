using System.Collections.Concurrent;
using Google.Protobuf;

namespace MeshDev.Xds.Server;

/// <summary>
/// The connected ADS streams and the last NACK of every client and type (kept after the client left, so that
/// <c>meshdev routes</c> can still say why a client did not take an update).
/// </summary>
public sealed class XdsClients
{
    private readonly ConcurrentDictionary<long, AdsStream> _streams = new();
    private readonly ConcurrentDictionary<(string Node, string TypeUrl), XdsNack> _nacks = new();
    private long _lastStream;

    /// <summary>Every connected client, oldest stream first.</summary>
    public IReadOnlyList<XdsClientInfo> Connected => [.. _streams.Values.Select(s => s.Info).OrderBy(i => i.Stream)];

    /// <summary>The last NACK per client (node id) and type, oldest first.</summary>
    public IReadOnlyList<XdsNack> LastNacks => [.. _nacks.Values.OrderBy(n => n.At)];

    /// <summary>
    /// The resource the client with <paramref name="nodeId"/> last accepted (ACKed) under <paramref name="name"/>, on its
    /// newest stream; null when it accepted none.
    /// </summary>
    public IMessage? Accepted(string nodeId, string typeUrl, string name) =>
        _streams.Values.Where(s => s.Info.NodeId == nodeId).OrderByDescending(s => s.Id)
            .Select(s => s.AcceptedResource(typeUrl, name)).FirstOrDefault();

    internal long NextStreamId() => Interlocked.Increment(ref _lastStream);

    internal void Add(AdsStream stream) => _streams[stream.Id] = stream;

    internal void Remove(AdsStream stream) => _streams.TryRemove(stream.Id, out _);

    internal void RecordNack(XdsNack nack) => _nacks[(nack.NodeId, nack.TypeUrl)] = nack;
}
