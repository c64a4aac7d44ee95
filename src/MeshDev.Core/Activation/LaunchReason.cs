using System.Text.Json.Serialization;
using MeshDev.Calls;

namespace MeshDev.Activation;

/// <summary>What made the mesh launch a service.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<LaunchReasonKind>))]
public enum LaunchReasonKind
{
    /// <summary>A request or connection reached it through the mesh (<see cref="LaunchReason.Service"/> is the caller).</summary>
    [JsonStringEnumMemberName("call")]
    Call,

    /// <summary>A service that lists it in <c>dependsOn</c> was launching (<see cref="LaunchReason.Service"/> is that service).</summary>
    [JsonStringEnumMemberName("dependsOn")]
    DependsOn,

    /// <summary><c>meshdev start</c> (the control API's StartService).</summary>
    [JsonStringEnumMemberName("start")]
    Start,

    /// <summary>It was already running (left by an earlier run of this mesh, or listening on its fixed port) and the mesh took it over.</summary>
    [JsonStringEnumMemberName("adopted")]
    Adopted,

    /// <summary>
    /// Launched ahead of a call because a service that calls it was launching (<see cref="LaunchReason.Service"/> is that
    /// service): <c>mesh.prewarm</c>.
    /// </summary>
    [JsonStringEnumMemberName("prewarm")]
    Prewarm,

    /// <summary>
    /// Its sources changed and the running instance was replaced by a new build (<see cref="LaunchReason.Service"/> is
    /// the caller whose call began the rebuild; null for <c>up --watch</c>, where the edit itself began it).
    /// </summary>
    [JsonStringEnumMemberName("rebuild")]
    Rebuild,
}

/// <summary>
/// Why a service was launched, as <c>meshdev status</c>, the events feed and the dashboard say it (<see cref="Text"/>:
/// <c>call from frontend</c>, <c>dependsOn of orders</c>, <c>meshdev start</c>, <c>adopted</c>). Created only when a launch
/// may begin, never on the path of a request to a ready service.
/// </summary>
public sealed class LaunchReason
{
    /// <summary>The words of a call whose caller is not known (yet).</summary>
    public const string UnknownCaller = "an unknown caller";

    /// <summary>A call from a connection whose caller nobody looked up (tests, a direct acquire).</summary>
    public static readonly LaunchReason UnknownCall = new(LaunchReasonKind.Call, null, null);

    /// <summary><c>meshdev start</c>.</summary>
    public static readonly LaunchReason Start = new(LaunchReasonKind.Start, null, null);

    /// <summary>Taken over, not launched.</summary>
    public static readonly LaunchReason Adopted = new(LaunchReasonKind.Adopted, null, null);

    private readonly string? _service;

    // A connection's caller is looked up in the background and is often still unknown when its first request arrives:
    // the launch does not wait for it; the reason names the caller from the moment it is known.
    private readonly CallerConnection? _connection;

    private LaunchReason(LaunchReasonKind kind, string? service, CallerConnection? connection)
    {
        Kind = kind;
        _service = service;
        _connection = connection;
    }

    public LaunchReasonKind Kind { get; }

    /// <summary>The caller (<see cref="CallGraph.External"/> for one outside the mesh), the dependent, or the service prewarmed for; null when none or not known yet.</summary>
    public string? Service => _service ?? _connection?.Caller;

    /// <summary>The reason in words: <c>call from frontend</c>, <c>prewarmed for frontend</c>, <c>dependsOn of orders</c>, <c>meshdev start</c>, <c>adopted</c>, <c>rebuilt for a call from frontend</c>.</summary>
    public string Text => Kind switch
    {
        LaunchReasonKind.Call => $"call from {Service ?? UnknownCaller}",
        LaunchReasonKind.DependsOn => $"dependsOn of {Service}",
        LaunchReasonKind.Start => "meshdev start",
        LaunchReasonKind.Adopted => "adopted",
        LaunchReasonKind.Prewarm => $"prewarmed for {Service}",
        LaunchReasonKind.Rebuild => _service is null && _connection is null ? "rebuilt: sources changed" : $"rebuilt for a call from {Service ?? UnknownCaller}",
        _ => Kind.ToString(),
    };

    /// <summary>A call on <paramref name="connection"/> (null: a caller nobody looked up).</summary>
    public static LaunchReason CallFrom(CallerConnection? connection) => connection is null ? UnknownCall : new(LaunchReasonKind.Call, null, connection);

    /// <summary>A call from <paramref name="caller"/>, known already.</summary>
    public static LaunchReason CallFrom(string caller) => new(LaunchReasonKind.Call, caller, null);

    /// <summary>A dependency of <paramref name="dependent"/>, which was launching.</summary>
    public static LaunchReason DependsOnOf(string dependent) => new(LaunchReasonKind.DependsOn, dependent, null);

    /// <summary>Launched ahead of a call because <paramref name="caller"/>, which calls it, was launching.</summary>
    public static LaunchReason PrewarmFor(string caller) => new(LaunchReasonKind.Prewarm, caller, null);

    /// <summary>
    /// A replacement of the running instance after its sources changed, begun by <paramref name="trigger"/>: a call names
    /// its caller (once known); anything else (the edit itself with <c>up --watch</c>, <c>meshdev start</c>) names none.
    /// </summary>
    public static LaunchReason RebuildFor(LaunchReason? trigger) =>
        trigger?.Kind == LaunchReasonKind.Call ? new(LaunchReasonKind.Rebuild, trigger._service, trigger._connection) : new(LaunchReasonKind.Rebuild, null, null);

    /// <summary>A reason as the control API carries it (a kind and a service name).</summary>
    public static LaunchReason Of(LaunchReasonKind kind, string? service) => kind switch
    {
        LaunchReasonKind.Start => Start,
        LaunchReasonKind.Adopted => Adopted,
        _ => new(kind, service, null),
    };

    public override string ToString() => Text;
}
