using MeshDev.Activation;

namespace MeshDev.Daemon.Control;

/// <summary>One row of <c>meshdev status</c>.</summary>
/// <param name="OldestInFlightMs">How long the oldest request in flight has been open (to 100 ms, never less than its true age); null when none is.</param>
/// <param name="Reason">What launched it (or that it was adopted); null while it is stopped.</param>
/// <param name="Held">Held for an instance the developer starts (<c>meshdev stop --hold</c>) until <c>meshdev start</c>.</param>
public sealed record ServiceStatus(
    string Name,
    string Runtime,
    string State,
    string? Endpoint,
    int MeshPort,
    int Launches,
    int InFlight,
    long? OldestInFlightMs,
    long Requests,
    string? LastError,
    IReadOnlyList<string> Hosts,
    IReadOnlyList<string> Paths,
    LaunchReason? Reason = null,
    string? Link = null,
    bool Held = false)
{
    /// <summary>Whether it runs (or is being started or stopped), as <c>meshdev status --running</c> lists them: not stopped, not failed.</summary>
    public bool IsRunning => State is "starting" or "ready" or "stopping" or "external";
}

/// <summary>The whole <c>meshdev status</c> answer.</summary>
/// <param name="XdsClients">How many xDS (ADS) streams are connected.</param>
/// <param name="XdsNacks">The last rejected update per xDS client and type, as sentences.</param>
/// <param name="EventSequence">The last event this status includes: watching the events after it misses no change.</param>
public sealed record MeshStatus(
    string Manifest,
    int Pid,
    int HttpPort,
    DateTimeOffset StartedAt,
    IReadOnlyList<ServiceStatus> Services,
    int XdsPort = 0,
    int XdsClients = 0,
    IReadOnlyList<string>? XdsNacks = null,
    long EventSequence = 0);
