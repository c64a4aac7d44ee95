namespace MeshDev.Activation;

/// <summary>The lifecycle state of one service, as the activator sees it.</summary>
public enum ServiceState
{
    /// <summary>Not running; the next request launches it.</summary>
    Stopped,

    /// <summary>Launched, waiting for the readiness probe; requests wait on this one launch.</summary>
    Starting,

    /// <summary>Serving traffic.</summary>
    Ready,

    /// <summary>Being stopped (idle, explicit stop, or shutdown); requests wait, then relaunch.</summary>
    Stopping,

    /// <summary>The last launch failed; requests fail fast until the backoff has passed.</summary>
    Failed,

    /// <summary>Already listening when first needed (e.g. run from the IDE), or a remote upstream: routed to, never launched or stopped.</summary>
    External,
}

/// <summary>One transition of a service's state, observed by the CLI output, status and tests.</summary>
/// <param name="Service">The service name.</param>
/// <param name="From">The state before.</param>
/// <param name="To">The state after.</param>
/// <param name="Detail">A short human sentence: why, where, how long.</param>
/// <param name="Reason">What launched the service, on the changes of a launch (to starting, ready, external or failed); null on the others.</param>
public sealed record ServiceStateChange(string Service, ServiceState From, ServiceState To, string Detail, LaunchReason? Reason = null);
