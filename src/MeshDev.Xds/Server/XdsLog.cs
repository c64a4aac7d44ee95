using Microsoft.Extensions.Logging;

namespace MeshDev.Xds.Server;

/// <summary>The log messages of the xDS server, defined once.</summary>
internal static partial class XdsLog
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "xDS client '{Node}' ({UserAgent}) connected from {Peer} (stream {Stream})")]
    public static partial void ClientConnected(ILogger logger, string node, string userAgent, string peer, long stream);

    [LoggerMessage(Level = LogLevel.Debug, Message = "xDS client '{Node}' disconnected (stream {Stream})")]
    public static partial void ClientDisconnected(ILogger logger, string node, long stream);

    [LoggerMessage(Level = LogLevel.Warning, Message = "xDS client '{Node}' rejected {Type} version {Version} (nonce {Nonce}): {Error}; it is not sent again, the next change is")]
    public static partial void Nack(ILogger logger, string node, string type, string version, string nonce, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "xDS client '{Node}' asked for {TypeUrl}, which MeshDev does not serve")]
    public static partial void UnknownType(ILogger logger, string node, string typeUrl);

    [LoggerMessage(Level = LogLevel.Debug, Message = "xDS client '{Node}': {Type} request with stale nonce {Nonce} (latest {Latest}) ignored")]
    public static partial void StaleNonce(ILogger logger, string node, string type, string nonce, string? latest);

    [LoggerMessage(Level = LogLevel.Debug, Message = "xDS client '{Node}': sent {Type} version {Version} (nonce {Nonce}, {Count} resources)")]
    public static partial void Sent(ILogger logger, string node, string type, string version, string nonce, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "the xDS snapshot of routing version {Version} is inconsistent and was not published (clients keep the previous one): {Problems}")]
    public static partial void SnapshotRejected(ILogger logger, long version, string problems);
}
