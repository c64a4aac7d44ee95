using MeshDev.Catalog;

namespace MeshDev.Runtime;

/// <summary>Starts instances of services of one <see cref="RuntimeKind"/> (process, Docker, Kubernetes…).</summary>
public interface IServiceRuntime
{
    RuntimeKind Kind { get; }

    /// <summary>Work that may run before the first launch and whose result is reused (e.g. building a .NET project). Idempotent.</summary>
    Task PrepareAsync(ServiceSpec service, ServiceLog log, CancellationToken cancellationToken);

    /// <summary>
    /// Watches what the service's instances are made from (a project's sources) and calls <paramref name="changed"/>
    /// when some of it changes, from any thread and possibly many times per edit; null when nothing is watched.
    /// </summary>
    IDisposable? WatchSources(ServiceSpec service, ServiceLog log, Action changed) => null;

    /// <summary>
    /// After <see cref="WatchSources"/> reported a change: prepares what a replacement of <paramref name="running"/>
    /// runs (rebuilds the project). False when <paramref name="running"/> is still current and needs no replacement;
    /// throws a <see cref="LaunchException"/> saying why when the new version cannot be made (a failed build).
    /// </summary>
    Task<bool> PrepareReplacementAsync(ServiceSpec service, IServiceInstance running, ServiceLog log, CancellationToken cancellationToken) => Task.FromResult(false);

    /// <summary>Starts one instance. Returns once it is spawned, not once it is ready; readiness is probed by the activator.</summary>
    Task<IServiceInstance> StartAsync(LaunchRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// An instance of this service that a previous run of this mesh launched and that still runs with the same
    /// settings (a container outlives a killed daemon), taken over instead of launching a duplicate; null when none.
    /// </summary>
    Task<IServiceInstance?> AdoptAsync(LaunchRequest request, CancellationToken cancellationToken) => Task.FromResult<IServiceInstance?>(null);

    /// <summary>
    /// The instance that already serves this service and is not the mesh's to launch or stop (a remote upstream), asked
    /// at the start of every launch; null when the service must be launched.
    /// </summary>
    Task<IServiceInstance?> FindExternalAsync(ServiceSpec service, CancellationToken cancellationToken) => Task.FromResult<IServiceInstance?>(null);
}

/// <summary>What a runtime needs to launch one instance.</summary>
/// <param name="Service">The service.</param>
/// <param name="Port">The port the instance must listen on (already substituted for <c>${PORT}</c>).</param>
/// <param name="Environment">Extra environment (PORT, service discovery…), applied over the service's own <c>env</c>.</param>
/// <param name="Log">Where the instance's output goes.</param>
public sealed record LaunchRequest(ServiceSpec Service, int Port, IReadOnlyDictionary<string, string> Environment, ServiceLog Log)
{
    private const string PortReference = "${PORT}";

    /// <summary>Replaces <c>${PORT}</c> in an argument or environment value with <see cref="Port"/>.</summary>
    public string Substitute(string value) =>
        value.Replace(PortReference, Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
}

/// <summary>One running instance of a service.</summary>
public interface IServiceInstance : IAsyncDisposable
{
    /// <summary>Where the instance listens.</summary>
    ServiceEndpoint Endpoint { get; }

    /// <summary>
    /// Completes when the instance has exited (for any reason), with its exit code when known; or faults with a
    /// <see cref="LaunchException"/> whose message says why it is gone when an exit code says little (a pod in
    /// CrashLoopBackOff, an image that cannot be pulled) — callers get that sentence.
    /// </summary>
    Task<int?> Exited { get; }

    /// <summary>The instance's own readiness check (e.g. a command run inside a container); null uses the service's <c>ready</c> probe on <see cref="Endpoint"/>.</summary>
    IReadinessProbe? Readiness => null;

    /// <summary>How the instance came to run, for status and events (e.g. "created container 3f2a1b"); null says nothing.</summary>
    string? Description => null;

    /// <summary>The state of the instance's link to the mesh (a pod's gateway), for status and doctor; null when it has none.</summary>
    string? Link => null;

    /// <summary>
    /// The pid (in this machine's pid namespace) of the instance's top process, whose descendants are all the instance's:
    /// calls from them through the mesh are this service's (the call graph). Null when unknown (yet).
    /// </summary>
    int? ProcessId => null;

    /// <summary>
    /// The cgroup (v2) directory holding the instance's processes, if it has one of its own: every socket they create
    /// carries its id, which names the caller of a connection at once (sock_diag). Null when it has none.
    /// </summary>
    string? CgroupPath => null;

    /// <summary>Whether the mesh launched the instance (probed, watched, stopped) or routes to one that runs on its own.</summary>
    InstanceOwnership Ownership => InstanceOwnership.Launched;

    /// <summary>Stops the instance: a polite signal, then after <paramref name="gracePeriod"/> a forced kill of everything it started.</summary>
    Task StopAsync(TimeSpan gracePeriod, CancellationToken cancellationToken);
}

/// <summary>Who runs an instance, which decides what the mesh does with it besides routing to it.</summary>
public enum InstanceOwnership
{
    /// <summary>Launched by the mesh (or taken over from an earlier run of it): probed until ready, watched for crashes, stopped when idle.</summary>
    Launched,

    /// <summary>
    /// A program that already listened on the service's port (e.g. run from the IDE): never stopped, and forgotten once
    /// it stops answering, so the next request looks at the port again.
    /// </summary>
    Listening,

    /// <summary>A fixed upstream elsewhere (<c>runtime: remote</c>): never stopped, and never forgotten.</summary>
    Remote,
}

/// <summary>A launch that could not start (command not found, build failed, port taken…). The message is shown to callers.</summary>
public sealed class LaunchException(string message, Exception? inner = null) : Exception(message, inner);
