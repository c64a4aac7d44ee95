namespace MeshDev.Runtime;

/// <summary>Decides whether a launched instance accepts traffic yet. Called every few milliseconds during startup, so it must be cheap.</summary>
public interface IReadinessProbe
{
    /// <summary>
    /// True when ready. Returns false (never throws) for refused connections, timeouts and error answers; throws when
    /// <paramref name="cancellationToken"/> is cancelled, and <see cref="LaunchException"/> when it can never pass (a
    /// command that does not exist): the launch then fails at once with that message.
    /// </summary>
    ValueTask<bool> ProbeAsync(ServiceEndpoint endpoint, CancellationToken cancellationToken);

    /// <summary>The shortest time between two attempts; a probe that costs more than a connect (a process in a container) says so here.</summary>
    TimeSpan MinimumInterval => TimeSpan.Zero;
}
