namespace MeshDev.Activation;

/// <summary>Why a launch failed, with the service's last log lines, as shown to every waiting caller.</summary>
public sealed record LaunchFailure(string Service, string Cause, IReadOnlyList<string> LogTail, DateTimeOffset FailedAt, DateTimeOffset RetryAt);

/// <summary>Why a service cannot take a request right now.</summary>
public enum UnavailableReason
{
    /// <summary>Its launch failed, or it is backing off after a failure: <see cref="LaunchFailure.LogTail"/> tells why.</summary>
    LaunchFailed,

    /// <summary>It is starting and already holds its 'maxWaitingRequests' waiting requests; <see cref="LaunchFailure.Cause"/> says so.</summary>
    TooManyWaiting,
}

/// <summary>
/// Thrown to callers of a service that cannot serve: its launch failed, it is backing off after a failure, or too many
/// requests already wait for its launch (<see cref="Reason"/>).
/// </summary>
public sealed class ServiceUnavailableException(LaunchFailure failure, TimeSpan retryAfter, UnavailableReason reason = UnavailableReason.LaunchFailed)
    : Exception($"service '{failure.Service}' is unavailable: {failure.Cause}")
{
    public LaunchFailure Failure { get; } = failure;

    public UnavailableReason Reason { get; } = reason;

    /// <summary>How long until the mesh will try to launch the service again.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;
}
