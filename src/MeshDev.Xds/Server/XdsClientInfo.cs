namespace MeshDev.Xds.Server;

/// <summary>One connected xDS client (one ADS stream), for <c>meshdev routes</c> and tests.</summary>
/// <param name="Stream">The stream's number, unique while the mesh runs.</param>
/// <param name="NodeId">The client's <c>node.id</c> (empty until its first request).</param>
/// <param name="NodeCluster">The client's <c>node.cluster</c>.</param>
/// <param name="UserAgent">The client's <c>user_agent_name</c> and version, e.g. <c>gRPC Node 1.14.1</c> or <c>envoy</c>.</param>
/// <param name="Peer">Where the stream comes from (gRPC peer string).</param>
public sealed record XdsClientInfo(
    long Stream,
    string NodeId,
    string NodeCluster,
    string UserAgent,
    string Peer,
    DateTimeOffset ConnectedAt,
    IReadOnlyList<XdsSubscriptionInfo> Subscriptions);

/// <summary>One resource type on one stream: what the client asked for, what it was sent, what it accepted.</summary>
/// <param name="Type">LDS, RDS, CDS or EDS.</param>
/// <param name="Wildcard">The client subscribed to every resource of the type.</param>
/// <param name="Names">The names it subscribed to (besides the wildcard).</param>
/// <param name="SentVersion">The version of the last response sent, or null.</param>
/// <param name="AcceptedVersion">The version the client last ACKed, or null.</param>
/// <param name="LastNack">The last response the client rejected, or null.</param>
public sealed record XdsSubscriptionInfo(
    string Type,
    string TypeUrl,
    bool Wildcard,
    IReadOnlyList<string> Names,
    string? SentVersion,
    string? SentNonce,
    string? AcceptedVersion,
    XdsNack? LastNack);

/// <summary>A response a client rejected: its version and nonce and the client's error.</summary>
/// <param name="Type">LDS, RDS, CDS or EDS.</param>
/// <param name="Code">The google.rpc.Code of the client's error_detail.</param>
public sealed record XdsNack(
    string NodeId,
    string Type,
    string TypeUrl,
    string Version,
    string Nonce,
    int Code,
    string Message,
    DateTimeOffset At);
