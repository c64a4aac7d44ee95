using MeshDev.Catalog;
using MeshDev.Runtime;
using MeshDev.Telemetry;

namespace MeshDev.Activation;

/// <summary>
/// The launch procedure of one service, from "is it already there?" to an instance that answers: the external instance
/// if there is one, else dependencies, prepare, port, spawn through the runtime, readiness probing, and a new port when
/// another program took the one picked. Keeps no state between launches but their count: <see cref="ServiceActivator"/>
/// runs one launch at a time and decides what follows it.
/// </summary>
internal sealed class ServiceLauncher
{
    /// <summary>How many ports a launch of a <c>port: auto</c> service tries when each is taken before the service binds it.</summary>
    internal const int AutoPortAttempts = 3;

    /// <summary>How often a held service's port is looked at for the instance the developer starts.</summary>
    private static readonly TimeSpan HeldPollInterval = TimeSpan.FromMilliseconds(100);

    private readonly ServiceSpec _service;
    private readonly IServiceRuntime? _runtime;
    private readonly ServiceLog _log;
    private readonly Func<ServiceSpec, int, IReadOnlyDictionary<string, string>> _environment;
    private readonly TimeProvider _time;
    private readonly IReadinessProbe _probe;
    private readonly Func<string, CancellationToken, Task>? _startDependency;
    private readonly IReadOnlySet<int>? _reservedPorts;
    private int _launches;

    /// <param name="service">The service to launch.</param>
    /// <param name="runtime">The runtime of its kind; null when the mesh has none (a launch then fails saying so).</param>
    /// <param name="log">The service's log: launch markers and the mesh's own lines about the launch go there too.</param>
    /// <param name="time">The clock of the start timeout and the probe schedule.</param>
    /// <param name="probe">The service's readiness probe, used unless the instance brings its own.</param>
    /// <param name="environment">The environment of a launch on a port (discovery variables, PORT).</param>
    /// <param name="startDependency">Acquires one of <c>dependsOn</c> until it is ready; null launches no dependency.</param>
    /// <param name="reservedPorts">The manifest's fixed ports, never picked for <c>port: auto</c>.</param>
    public ServiceLauncher(
        ServiceSpec service, IServiceRuntime? runtime, ServiceLog log, TimeProvider time, IReadinessProbe probe,
        Func<ServiceSpec, int, IReadOnlyDictionary<string, string>> environment,
        Func<string, CancellationToken, Task>? startDependency = null, IReadOnlySet<int>? reservedPorts = null)
    {
        _service = service;
        _runtime = runtime;
        _log = log;
        _time = time;
        _probe = probe;
        _environment = environment;
        _startDependency = startDependency;
        _reservedPorts = reservedPorts;
    }

    /// <summary>Instances spawned so far; each port a launch tries counts, as the log's launch markers do.</summary>
    public int Launches => Volatile.Read(ref _launches);

    /// <summary>What a launch failure says to callers: a launch's own sentence as it is, anything else with its type.</summary>
    public static string CauseOf(Exception ex) => ex is LaunchException or TimeoutException or NotStartedYetException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";

    /// <summary>An instance an earlier run of this mesh left running, asked of the runtime (see <see cref="IServiceRuntime.AdoptAsync"/>); null when none.</summary>
    public Task<IServiceInstance?> FindLeftRunningAsync(CancellationToken cancellationToken) =>
        _runtime?.AdoptAsync(NewLaunchRequest(_service.Port ?? 0), cancellationToken) ?? Task.FromResult<IServiceInstance?>(null);

    /// <summary>Watches what the service's instances are made from (<see cref="IServiceRuntime.WatchSources"/>); null when nothing is watched.</summary>
    public IDisposable? WatchSources(Action changed) => _runtime?.WatchSources(_service, _log, changed);

    /// <summary>Prepares a replacement of <paramref name="running"/> (<see cref="IServiceRuntime.PrepareReplacementAsync"/>); false when it is current.</summary>
    public Task<bool> PrepareReplacementAsync(IServiceInstance running, CancellationToken cancellationToken) =>
        _runtime?.PrepareReplacementAsync(_service, running, _log, cancellationToken) ?? Task.FromResult(false);

    /// <summary>
    /// Waits until an instance left running (<see cref="FindLeftRunningAsync"/>) answers; when it does not, stops it and
    /// throws why. <paramref name="current"/> is told the instance, and null once it is stopped.
    /// </summary>
    public async Task<IServiceInstance> TakeOverAsync(IServiceInstance adopted, Action<IServiceInstance?> current, CancellationToken cancellationToken)
    {
        current(adopted);
        try
        {
            await WaitUntilReadyAsync(adopted, trace: null, cancellationToken).ConfigureAwait(false);
            return adopted;
        }
        catch
        {
            await StopFailedAsync(adopted, current).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Launches the service and returns its instance once it answers, or the external instance already serving it
    /// (<see cref="IServiceInstance.Ownership"/> says which). On failure, stops what it spawned and throws the cause
    /// (<see cref="CauseOf"/>). <paramref name="current"/> is told each instance as soon as it runs (its calls at start-up
    /// are the service's), and null once a failed one is stopped.
    /// </summary>
    public Task<IServiceInstance> LaunchAsync(Action<IServiceInstance?> current, CancellationToken cancellationToken) =>
        LaunchAsync(current, trace: null, cancellationToken);

    /// <summary><see cref="LaunchAsync(Action{IServiceInstance?}, CancellationToken)"/> whose phases <paramref name="trace"/> records (export on).</summary>
    public async Task<IServiceInstance> LaunchAsync(Action<IServiceInstance?> current, LaunchTrace? trace, CancellationToken cancellationToken, bool held = false)
    {
        IServiceInstance? instance = null;
        try
        {
            if (await FindExternalAsync(cancellationToken).ConfigureAwait(false) is { } external)
            {
                return external;
            }

            if (held)
            {
                return await WaitForExternalAsync(cancellationToken).ConfigureAwait(false);
            }

            var runtime = _runtime ?? throw new LaunchException($"no runtime '{_service.Runtime.ToString().ToLowerInvariant()}' is available");
            trace?.Begin();
            if (!_service.DependsOn.IsEmpty)
            {
                await StartDependenciesAsync(cancellationToken).ConfigureAwait(false);
                trace?.End("dependencies");
            }

            await runtime.PrepareAsync(_service, _log, cancellationToken).ConfigureAwait(false);
            if (_service.Project is not null || _service.Container is not null)
            {
                trace?.End("build");
            }

            // A bridged container's port is inside the container: the runtime publishes it on a free host port.
            var port = _service.Port ?? Ports.GetFreeServicePort(_reservedPorts);
            if (_service.HostPort is not null && !Ports.CanBind(port))
            {
                throw new LaunchException($"port {port} is taken by another program (it accepts no connections, so it cannot be adopted); free it or change 'port'");
            }

            // A port the mesh picked can be taken by another program before the service binds it (many processes
            // starting at once): the launch is then tried again on a new port, while the callers keep waiting.
            var attempts = _service.Port is null && _service.ListensOnHost ? AutoPortAttempts : 1;
            for (var attempt = 1; ; attempt++)
            {
                _log.MarkLaunch(Interlocked.Increment(ref _launches));
                try
                {
                    trace?.Begin();
                    instance = await runtime.StartAsync(NewLaunchRequest(port), cancellationToken).ConfigureAwait(false);
                    trace?.End("spawn");
                    current(instance);
                    await WaitUntilReadyAsync(instance, trace, cancellationToken).ConfigureAwait(false);
                    return instance;
                }
                catch (Exception ex) when (attempts > 1 && !cancellationToken.IsCancellationRequested)
                {
                    await StopFailedAsync(instance, current).ConfigureAwait(false);
                    instance = null;

                    // Only with our own instance gone does a port that cannot be bound say that another program holds it;
                    // any other failure is the service's own, reported as it is.
                    if (Ports.CanBind(port))
                    {
                        throw;
                    }

                    if (attempt == attempts)
                    {
                        throw new LaunchException($"{CauseOf(ex)}; port {port} was taken by another program before the service listened on it ({attempts} ports tried, all taken)", ex);
                    }

                    var next = Ports.GetFreeServicePort(_reservedPorts);
                    _log.Write($"meshdev: port {port} was taken by another program before the service listened on it, retrying on port {next}");
                    port = next;
                }
            }
        }
        catch
        {
            await StopFailedAsync(instance, current).ConfigureAwait(false);
            throw;
        }
    }

    private LaunchRequest NewLaunchRequest(int port) => new(_service, port, _environment(_service, port), _log);

    /// <summary>
    /// An instance already serving the service that the mesh must not launch or stop: the runtime's own (a remote
    /// upstream), or a program that listens on the service's fixed port and answers like it. Throws when such a program
    /// does not answer like the service.
    /// </summary>
    private async Task<IServiceInstance?> FindExternalAsync(CancellationToken cancellationToken)
    {
        if (_runtime is not null && await _runtime.FindExternalAsync(_service, cancellationToken).ConfigureAwait(false) is { } external)
        {
            return external;
        }

        if (_service.HostPort is not int fixedPort || !await Ports.IsListeningAsync(fixedPort, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        // A program that accepts but does not answer like the service (a netcat listener) would hold every call forever.
        var holder = await PortHolder.JudgeAsync(_service, fixedPort, _time, cancellationToken).ConfigureAwait(false);
        if (holder.Refusal is { } refusal)
        {
            _log.Write($"meshdev: {refusal}");
            throw new LaunchException(refusal);
        }

        var note = holder.Note is { } why ? $"; {why}" : "";
        return ExternalInstance.Listening(
            new ServiceEndpoint("127.0.0.1", fixedPort),
            $"adopted: something already listens on 127.0.0.1:{fixedPort}, so the mesh routes to it and will not launch or stop it{note}");
    }

    /// <summary>The timestamp at which a launch begun now has used up the service's start timeout.</summary>
    private long StartDeadline() => _time.GetTimestamp() + (long)(_service.StartTimeout.TotalSeconds * _time.TimestampFrequency);

    /// <summary>
    /// A held service (<c>meshdev stop --hold</c>): the instance the developer starts (the IDE's) is waited for on the
    /// fixed port, looked for every <see cref="HeldPollInterval"/>, up to the service's start timeout.
    /// </summary>
    private async Task<IServiceInstance> WaitForExternalAsync(CancellationToken cancellationToken)
    {
        var port = _service.Port;
        _log.Write($"meshdev: held for an instance you start: waiting for one to listen on 127.0.0.1:{port} (up to {ServiceActivator.Format(_service.StartTimeout)})");
        var deadline = StartDeadline();
        while (true)
        {
            await Task.Delay(HeldPollInterval, _time, cancellationToken).ConfigureAwait(false);
            if (await FindExternalAsync(cancellationToken).ConfigureAwait(false) is { } external)
            {
                return external;
            }

            if (_time.GetTimestamp() >= deadline)
            {
                throw new NotStartedYetException(
                    $"held for an instance you start (meshdev stop --hold), and nothing listened on 127.0.0.1:{port} within {ServiceActivator.Format(_service.StartTimeout)}: "
                    + $"start it (your IDE's '{_service.Name} (mesh)' profile), or run 'meshdev start {_service.Name}' to let the mesh launch it");
            }
        }
    }

    /// <summary>Stops the instance of a failed launch. Never throws: the launch's own failure is what the callers must get.</summary>
    private async Task StopFailedAsync(IServiceInstance? instance, Action<IServiceInstance?> current)
    {
        if (instance is null)
        {
            return;
        }

        current(null);
        try
        {
            await instance.StopAsync(TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _log.Write($"meshdev: could not stop the failed instance: {e.Message}");
        }
    }

    /// <summary>Launches the services this one depends on (all at once) and waits until each is ready.</summary>
    private async Task StartDependenciesAsync(CancellationToken cancellationToken)
    {
        if (_service.DependsOn.IsEmpty || _startDependency is null)
        {
            return;
        }

        await Task.WhenAll(_service.DependsOn.Select(async name =>
        {
            try
            {
                await _startDependency(name, cancellationToken).ConfigureAwait(false);
            }
            catch (ServiceUnavailableException ex)
            {
                throw new LaunchException($"its dependency '{name}' is unavailable: {ex.Failure.Cause}");
            }
        })).ConfigureAwait(false);
    }

    private async Task WaitUntilReadyAsync(IServiceInstance instance, LaunchTrace? trace, CancellationToken cancellationToken)
    {
        // "port open" is looked for only while a launch is traced (a connect per probe round, on this machine only).
        var portOpen = trace is not { IsRecording: true } || !_service.ListensOnHost;
        var deadline = StartDeadline();
        var spawnedAt = _time.GetTimestamp();
        var probe = instance.Readiness ?? _probe;
        var interval = Max(ProbeSchedule.First, probe.MinimumInterval);
        var listeners = new ListenerDiagnosis(_service, instance, _time);
        while (true)
        {
            if (instance.Exited.IsCompleted)
            {
                var code = await instance.Exited.ConfigureAwait(false);
                var silent = _service.Ready.Notify ? " (it never sent READY=1 to NOTIFY_SOCKET)" : "";
                throw new LaunchException($"exited with code {code?.ToString() ?? "unknown"} before it was ready{silent}");
            }

            if (await probe.ProbeAsync(instance.Endpoint, cancellationToken).ConfigureAwait(false))
            {
                if (!portOpen)
                {
                    trace!.End("port open");
                }

                trace?.End("ready");
                return;
            }

            if (!portOpen && await Ports.IsListeningAsync(instance.Endpoint.Port, cancellationToken).ConfigureAwait(false))
            {
                portOpen = true;
                trace!.End("port open");
            }

            // A service that ignores PORT and serves elsewhere is told so now, not after the whole start timeout.
            if (await listeners.CheckAsync(cancellationToken).ConfigureAwait(false) is { } elsewhere)
            {
                _log.Write($"meshdev: {elsewhere}");
                throw new LaunchException(elsewhere);
            }

            if (_time.GetTimestamp() >= deadline)
            {
                var fix = listeners.ListenedNowhere
                    ? "; it listens on no port yet: make it listen on ${PORT}, or raise 'startTimeout' if it is just slow"
                    : "; raise 'startTimeout' if it is just slow";
                throw new TimeoutException($"not ready after {ServiceActivator.Format(_service.StartTimeout)} (probe: {ProbeUsed(instance)}){fix}");
            }

            // Wake early if the process dies, so a crash at start is reported at once, not at the next probe.
            await Task.WhenAny(instance.Exited, Task.Delay(interval, _time, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            interval = Max(ProbeSchedule.Next(interval, _time.GetElapsedTime(spawnedAt)), probe.MinimumInterval);
        }

        static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
    }

    /// <summary>
    /// The probe this launch used. Without 'ready', only the started container knows whether its image has a HEALTHCHECK
    /// (the runtime then gave the instance a probe for it), so "the image's HEALTHCHECK, else tcp" is settled here. A
    /// command run in the container has no address.
    /// </summary>
    private string ProbeUsed(IServiceInstance instance) => _service.Ready.Kind switch
    {
        ReadyKind.ImageHealthcheck when instance.Readiness is null => $"tcp on {instance.Endpoint}, as the image has no HEALTHCHECK",
        ReadyKind.ImageHealthcheck => "the image's HEALTHCHECK",
        ReadyKind.Exec => $"{_service.Ready}, inside the container",
        _ => $"{_service.Ready} on {instance.Endpoint}",
    };
}

/// <summary>A held service's instance was not started by the developer in time: no back-off, the next call waits again.</summary>
public sealed class NotStartedYetException(string message) : Exception(message);
