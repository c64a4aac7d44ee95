namespace MeshDev.Activation;

/// <summary>Why a launch failed, with the service's last log lines, as shown to every waiting caller.</summary>
public sealed record LaunchFailure(string Service, string Cause, IReadOnlyList<string> LogTail, DateTimeOffset FailedAt, DateTimeOffset RetryAt);

/// <summary>Thrown to callers of a service that cannot serve: its launch failed, or it is backing off after a failure.</summary>
public sealed class ServiceUnavailableException(LaunchFailure failure, TimeSpan retryAfter)
    : Exception($"service '{failure.Service}' is unavailable: {failure.Cause}")
{
    public LaunchFailure Failure { get; } = failure;

    /// <summary>How long until the mesh will try to launch the service again.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;
}
