using System.Diagnostics;
using MeshDev.Catalog;
using MeshDev.Runtime;
using MeshDev.Telemetry;
using MeshDev.Text;

namespace MeshDev.Activation;

/// <summary>
/// The state machine of one service: launches it once for all waiting callers, probes readiness, notices crashes,
/// backs off after failures and stops it when idle, and replaces it when its sources change (see the Rebuild part).
/// Requests pass through <see cref="AcquireAsync"/>.
/// </summary>
public sealed partial class ServiceActivator : IAsyncDisposable
{
    internal const int LogTailLines = 20;

    /// <summary>The Retry-After of a request turned away because too many already wait for the launch.</summary>
    internal static readonly TimeSpan TooManyWaitingRetryAfter = TimeSpan.FromSeconds(1);

    private readonly ServiceLauncher _launcher;
    private readonly TimeProvider _time;
    private readonly MeshTelemetry? _telemetry;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Lock _gate = new();

    // Changes are queued under the lock, in the order they happen: observers see them in order and never run while
    // the lock is held.
    private readonly StateChangeQueue _changes;

    // Read without the lock on the hot path: non-null exactly while requests may go straight through.
    private volatile ReadyEndpoint? _ready;
    private int _inFlight;
    private long _requests;
    private long _lastActivity;
    private readonly InFlightStarts _inFlightStarts;
    private int _waiting;

    private ServiceState _state = ServiceState.Stopped;
    private IServiceInstance? _instance;
    private Task _transition = Task.CompletedTask;
    private LaunchFailure? _failure;
    private int _consecutiveFailures;

    // Under _gate: held for an instance the developer starts (meshdev stop --hold), until an explicit start.
    private bool _held;
    private ITimer? _idleTimer;
    private long _startedAt;

    // What began the current launch; kept while the service runs, so status can say why it runs.
    private LaunchReason? _reason;

    public ServiceActivator(
        ServiceSpec service,
        IServiceRuntime? runtime,
        ServiceLog log,
        Func<ServiceSpec, int, IReadOnlyDictionary<string, string>> environment,
        TimeProvider? time = null,
        IReadinessProbe? probe = null,
        Func<string, CancellationToken, Task>? startDependency = null,
        IReadOnlySet<int>? reservedPorts = null,
        int meshMaxWaitingRequests = MeshSettings.DefaultMaxWaitingRequests,
        MeshTelemetry? telemetry = null)
    {
        Service = service;
        Log = log;
        _time = time ?? TimeProvider.System;
        _telemetry = telemetry;
        _launcher = new ServiceLauncher(service, runtime, log, _time, probe ?? ReadinessProbe.For(service.Ready), environment, startDependency, reservedPorts);
        _lastActivity = _time.GetTimestamp();
        _inFlightStarts = new InFlightStarts(_time);
        MaxWaitingRequests = service.MaxWaitingRequests ?? meshMaxWaitingRequests;
        _changes = new StateChangeQueue(change => StateChanged?.Invoke(change));
        _sourceWatch = _launcher.WatchSources(OnSourcesChanged);
    }

    public ServiceSpec Service { get; }
    public ServiceLog Log { get; }

    /// <summary>Raised after every state change, in order, on a background task.</summary>
    public event Action<ServiceStateChange>? StateChanged;

    public ServiceState State { get { lock (_gate) { return _state; } } }

    /// <summary>The address traffic goes to while ready or external.</summary>
    public ServiceEndpoint? Endpoint => _ready?.Endpoint;

    public int Launches => _launcher.Launches;

    /// <summary>Requests, streams and connections that went through the mesh to this service since the mesh started.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests, streams and connections open right now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// How long the oldest request, stream or connection open right now has been open, measured from the start of the
    /// 100 ms tick it began in (at most that much more than its true age); null when none is open.
    /// </summary>
    /// <summary>The clock of this service's launches and waits (tests give a fake one).</summary>
    public TimeProvider Time => _time;

    public TimeSpan? OldestInFlightAge => _inFlightStarts.OldestStart() is { } start ? _time.GetElapsedTime(start) : null;

    /// <summary>Requests waiting right now for the service to become ready.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>How many requests may wait for a launch at once (the service's 'maxWaitingRequests', else the mesh's); the next gets 503 at once.</summary>
    public int MaxWaitingRequests { get; }

    public LaunchFailure? LastFailure { get { lock (_gate) { return _failure; } } }

    /// <summary>What launched the service (or took it over); null while it is stopped.</summary>
    public LaunchReason? Reason { get { lock (_gate) { return _state == ServiceState.Stopped ? null : _reason; } } }

    /// <summary>The top process of the instance this mesh launched (or adopted) while it runs; its calls through the mesh are this service's.</summary>
    public int? ProcessId { get { lock (_gate) { return _instance?.ProcessId; } } }

    /// <summary>The cgroup directory of the instance this mesh launched, while it runs; its sockets name it as the caller.</summary>
    public string? CgroupPath { get { lock (_gate) { return _instance?.CgroupPath; } } }

    /// <summary>The state of the running instance's link to the mesh (a pod's gateway link); null when it has none.</summary>
    public string? Link { get { lock (_gate) { return _instance?.Link; } } }

    /// <summary>
    /// Waits until the service can take traffic (launching it if needed) and returns a lease that keeps it from
    /// idle stop until disposed. Throws <see cref="ServiceUnavailableException"/> when the launch failed, or at once when
    /// <see cref="MaxWaitingRequests"/> requests already wait. Cancelling only abandons this caller's wait: the launch goes
    /// on for the others.
    /// </summary>
    public ValueTask<ActivityLease> AcquireAsync(CancellationToken cancellationToken = default) =>
        AcquireAsync(LaunchReason.UnknownCall, cancellationToken);

    /// <summary>
    /// <see cref="AcquireAsync(CancellationToken)"/> that gives the <paramref name="reason"/> of the launch it may begin.
    /// Callers on the request path try <see cref="TryAcquire"/> first and create the reason only when that fails.
    /// </summary>
    public ValueTask<ActivityLease> AcquireAsync(LaunchReason reason, CancellationToken cancellationToken = default) =>
        TryAcquire(out var lease) ? new ValueTask<ActivityLease>(lease) : AcquireSlowAsync(reason, bounded: true, cancellationToken);

    /// <summary>
    /// <see cref="AcquireAsync"/> for the mesh's own waits (an explicit start, a dependent's launch), which a flood of
    /// requests must not turn into a failed launch: they wait whatever <see cref="MaxWaitingRequests"/> says.
    /// </summary>
    internal ValueTask<ActivityLease> AcquireUnboundedAsync(LaunchReason reason, CancellationToken cancellationToken = default) =>
        TryAcquire(out var lease) ? new ValueTask<ActivityLease>(lease) : AcquireSlowAsync(reason, bounded: false, cancellationToken);

    /// <summary>The hot path: a lease when the service is ready (or external) right now, without waiting or locking.</summary>
    public bool TryAcquire(out ActivityLease lease) => TryAcquire(countRequest: true, out lease);

    /// <summary>
    /// A lease that counts no request: a connection made elsewhere (pod to pod inside the cluster) holds the service busy
    /// while it is open, and its requests are added as they are reported (<see cref="AddRequests"/>).
    /// </summary>
    public bool TryHold(out ActivityLease lease) => TryAcquire(countRequest: false, out lease);

    /// <summary>Requests the mesh did not proxy itself but was told of (calls between pods inside the cluster).</summary>
    public void AddRequests(long count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _requests, count);
            Volatile.Write(ref _lastActivity, _time.GetTimestamp());
        }
    }

    private bool TryAcquire(bool countRequest, out ActivityLease lease)
    {
        var ready = _ready;
        if (ready is not null)
        {
            Interlocked.Increment(ref _inFlight);
            if (ReferenceEquals(_ready, ready))
            {
                lease = NewLease(ready.Endpoint, countRequest);
                return true;
            }

            // An idle stop began between the two reads; the caller takes the slow path, which waits for it and relaunches.
            Release();
        }

        lease = default;
        return false;
    }

    private async ValueTask<ActivityLease> AcquireSlowAsync(LaunchReason reason, bool bounded, CancellationToken cancellationToken)
    {
        // Each held request keeps its connection, buffers and a task until the launch ends: past the bound the caller
        // learns at once, instead of the mesh holding without limit.
        if (Interlocked.Increment(ref _waiting) > MaxWaitingRequests && bounded)
        {
            Interlocked.Decrement(ref _waiting);
            throw TooManyWaiting();
        }

        try
        {
            return await WaitUntilServingAsync(reason, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    private async ValueTask<ActivityLease> WaitUntilServingAsync(LaunchReason reason, CancellationToken cancellationToken)
    {
        // A caller that waited for a launch gets its failure, even one without a back-off (a held service's wait).
        var waited = false;
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                switch (_state)
                {
                    case ServiceState.Ready when _stale:
                        BeginRebuildLocked(reason);
                        break;
                    case ServiceState.Ready or ServiceState.External:
                        Interlocked.Increment(ref _inFlight);
                        return NewLease(_ready!.Endpoint);
                    case ServiceState.Failed when waited || _time.GetUtcNow() < _failure!.RetryAt:
                        throw new ServiceUnavailableException(_failure!, Max(_failure!.RetryAt - _time.GetUtcNow(), TimeSpan.Zero));
                    case ServiceState.Stopped or ServiceState.Failed:
                        BeginLaunchLocked(reason);
                        break;
                }

                wait = _transition;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            waited = true;
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private ServiceUnavailableException TooManyWaiting()
    {
        var now = _time.GetUtcNow();
        var cause = $"{Plural.Of(MaxWaitingRequests, "request")} already {(MaxWaitingRequests == 1 ? "waits" : "wait")} for '{Service.Name}' to start (maxWaitingRequests); retry shortly";
        return new ServiceUnavailableException(
            new LaunchFailure(Service.Name, cause, [], now, now + TooManyWaitingRetryAfter), TooManyWaitingRetryAfter, UnavailableReason.TooManyWaiting);
    }

    /// <summary>Starts the service if it is not running and waits until it is ready (the <c>meshdev start</c> verb).</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            // An explicit start lets the mesh launch it again.
            _held = false;

            // An explicit start does not wait for the backoff.
            if (_state == ServiceState.Failed)
            {
                _state = ServiceState.Stopped;
            }
        }

        using var lease = await AcquireUnboundedAsync(LaunchReason.Start, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Takes over an instance an earlier run of this mesh left running (see <see cref="IServiceRuntime.AdoptAsync"/>),
    /// so a restarted mesh does not launch a duplicate. Called once at mesh start, before traffic. True when one was
    /// taken over: it is then starting, and requests wait for its readiness as for a launch. Not waited for here: a
    /// container left mid-start by a killed daemon would otherwise keep the mesh from listening for its whole start timeout.
    /// </summary>
    public async Task<bool> AdoptRunningAsync(CancellationToken cancellationToken = default)
    {
        var adopted = await _launcher.FindLeftRunningAsync(cancellationToken).ConfigureAwait(false);
        if (adopted is null)
        {
            return false;
        }

        lock (_gate)
        {
            if (_state != ServiceState.Stopped)
            {
                // Traffic got here first; its launch found (or replaced) the same instance.
                _ = adopted.DisposeAsync().AsTask();
                return false;
            }

            _state = ServiceState.Starting;
            _startedAt = _time.GetTimestamp();
            _reason = LaunchReason.Adopted;
            // Not the caller's token: the launch is shared by every caller and outlives the one that began it.
            _transition = Task.Run(() => LaunchAsync(adopted), CancellationToken.None);
            Enqueue(ServiceState.Stopped, ServiceState.Starting, $"adopting {adopted.Description ?? "an instance"}, left running by an earlier run of this mesh");
        }

        return true;
    }

    /// <summary>
    /// Held for an instance the developer starts (<c>meshdev stop --hold</c>): a call waits for one to listen on the
    /// service's fixed port instead of launching, until <see cref="StartAsync"/>.
    /// </summary>
    public bool Held { get { lock (_gate) { return _held; } } }

    /// <summary>Whether the service can be held: an instance someone else starts is found only on a fixed port on this machine.</summary>
    public bool CanHold => Service.HostPort is not null;

    /// <summary>
    /// Stops the service if this mesh launched it; waits for a launch in progress first. With <paramref name="hold"/>,
    /// it is then held (see <see cref="Held"/>).
    /// </summary>
    public async Task StopAsync(string reason = "stopped on request", bool hold = false)
    {
        if (hold)
        {
            lock (_gate)
            {
                _held = true;
                if (_state == ServiceState.Stopped)
                {
                    // Nothing stops, so no change would tell the watchers (status --watch, the dashboard) of the hold.
                    Enqueue(ServiceState.Stopped, ServiceState.Stopped, $"held: calls wait for the instance you start on port {Service.HostPort}");
                }
            }
        }

        while (true)
        {
            Task wait;
            lock (_gate)
            {
                switch (_state)
                {
                    case ServiceState.Ready:
                        BeginStopLocked(reason);
                        wait = _transition;
                        break;
                    case ServiceState.Starting or ServiceState.Stopping:
                        wait = _transition;
                        break;
                    default:
                        return;
                }
            }

            await wait.ConfigureAwait(false);
        }
    }

    /// <summary>Waits for the stop begun by <see cref="StopAsync"/> (or any transition in progress) to finish.</summary>
    public Task WhenSettledAsync()
    {
        lock (_gate)
        {
            return _transition;
        }
    }

    /// <summary>
    /// The proxy could not connect to the service. An adopted (external) instance that went away is forgotten, so the
    /// next request checks its port again and launches the service if nothing listens there any more
    /// (<see cref="InstanceOwnership.Listening"/>).
    /// </summary>
    /// <returns>
    /// True when the service no longer routes to what refused (forgotten now, or already by another caller's report, and
    /// stopped or being launched again): a request the service cannot have seen may be sent again through a new acquire.
    /// </returns>
    public bool ReportUnreachable()
    {
        lock (_gate)
        {
            if (_state != ServiceState.External || _instance?.Ownership != InstanceOwnership.Listening)
            {
                return _state is ServiceState.Stopped or ServiceState.Starting;
            }

            _state = ServiceState.Stopped;
            _instance = null;
            _ready = null;
            Enqueue(ServiceState.External, ServiceState.Stopped, "the external instance stopped answering; the next request checks its port again");
            return true;
        }
    }

    // Every lease comes through here or through the lock-free path in TryAcquire.
    private ActivityLease NewLease(ServiceEndpoint endpoint, bool countRequest = true)
    {
        if (countRequest)
        {
            Interlocked.Increment(ref _requests);
        }

        return new ActivityLease(this, endpoint, _inFlightStarts.Enter());
    }

    /// <summary>Ends a lease: <paramref name="startSlot"/> is where <see cref="InFlightStarts"/> counted it.</summary>
    internal void Release(int startSlot)
    {
        _inFlightStarts.Exit(startSlot);
        Release();
    }

    private void Release()
    {
        Volatile.Write(ref _lastActivity, _time.GetTimestamp());
        Interlocked.Decrement(ref _inFlight);
    }

    private void BeginLaunchLocked(LaunchReason reason)
    {
        var from = _state;
        _state = ServiceState.Starting;
        _reason = reason;
        _startedAt = _time.GetTimestamp();

        // The launch builds from the sources as they are from now on: earlier edits are in it.
        _stale = false;

        // Counted before the launch runs: on the thread pool it may count itself before this thread reads the count.
        var launches = _launcher.Launches;
        var held = _held;
        _transition = Task.Run(() => LaunchAsync(adopted: null, held));
        Enqueue(from, ServiceState.Starting, held
            ? $"waiting for an instance you start on 127.0.0.1:{Service.Port} (held: meshdev stop --hold)"
            : launches == 0 ? "launching" : $"launching (launch #{launches + 1})");
    }

    private async Task LaunchAsync(IServiceInstance? adopted, bool held = false)
    {
        var cancellationToken = _lifetime.Token;
        var trace = _telemetry?.StartLaunch(Service, _time);
        try
        {
            var instance = adopted is null
                ? await _launcher.LaunchAsync(SetInstance, trace, cancellationToken, held).ConfigureAwait(false)
                : await _launcher.TakeOverAsync(adopted, SetInstance, cancellationToken).ConfigureAwait(false);
            trace?.Complete();
            if (instance.Ownership == InstanceOwnership.Launched)
            {
                _telemetry?.RecordActivation(Service, _time.GetElapsedTime(Volatile.Read(ref _startedAt)));
                BecomeReady(instance);
            }
            else
            {
                BecomeExternal(instance);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            trace?.Complete("the mesh is shutting down");
            Fail("the mesh is shutting down");
        }
        catch (Exception ex)
        {
            var cause = ServiceLauncher.CauseOf(ex);
            trace?.Complete(cause);
            // A held service's wait ran out: the next call waits again at once, as the developer may start it any time.
            Fail(cause, backOff: ex is not NotStartedYetException);
        }
    }

    // The launch's instance, from its spawn on: its calls while it starts are the service's (ProcessId).
    private void SetInstance(IServiceInstance? instance)
    {
        lock (_gate)
        {
            _instance = instance;
        }
    }

    private void BecomeReady(IServiceInstance instance, string? note = null)
    {
        var elapsed = _time.GetElapsedTime(_startedAt);
        lock (_gate)
        {
            _state = ServiceState.Ready;
            _failure = null;
            _consecutiveFailures = 0;
            Volatile.Write(ref _lastActivity, _time.GetTimestamp());
            _instance = instance;
            ScheduleIdleCheckLocked(Service.IdleTimeout);
            var what = instance.Description is { } description ? $" ({description})" : "";
            // The endpoint before the change: a watcher (the routing table's feed) reads it when the change arrives.
            OpenOrRebuildLocked(instance);
            Enqueue(ServiceState.Starting, ServiceState.Ready, $"{note}ready in {elapsed.TotalMilliseconds:0} ms at {instance.Endpoint}{what}");
        }

        _ = instance.Exited.ContinueWith(
            t => OnExited(instance, t.IsCompletedSuccessfully ? t.Result : null, t.Exception?.InnerException is LaunchException why ? why.Message : null),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    // An instance that runs on its own is never probed, watched or stopped: no idle timer, no exit watch.
    private void BecomeExternal(IServiceInstance instance)
    {
        lock (_gate)
        {
            _state = ServiceState.External;
            _failure = null;

            // Found listening on its port: whatever call or start looked, the mesh did not launch it. A remote upstream
            // keeps the reason that first routed to it.
            if (instance.Ownership == InstanceOwnership.Listening)
            {
                _reason = LaunchReason.Adopted;
            }

            _instance = instance;
            _ready = new ReadyEndpoint(instance.Endpoint);
            Enqueue(ServiceState.Starting, ServiceState.External, instance.Description ?? $"external at {instance.Endpoint}");
        }
    }

    private void Fail(string cause, bool backOff = true)
    {
        _telemetry?.RecordFailure(Service);
        LaunchFailure failure;
        lock (_gate)
        {
            _consecutiveFailures += backOff ? 1 : 0;
            var now = _time.GetUtcNow();
            failure = new LaunchFailure(Service.Name, cause, Log.Tail(LogTailLines), now, backOff ? now + Backoff.After(_consecutiveFailures) : now);
            _failure = failure;
            _state = ServiceState.Failed;
            _instance = null;
            _ready = null;
            Enqueue(ServiceState.Starting, ServiceState.Failed, backOff ? $"{cause}; next try in {Format(failure.RetryAt - failure.FailedAt)}" : $"{cause}; the next call waits again");
        }
    }

    private void OnExited(IServiceInstance instance, int? exitCode, string? reason)
    {
        lock (_gate)
        {
            // Exits we caused (stop) or that belong to an older instance are not crashes.
            if (!ReferenceEquals(_instance, instance) || _state != ServiceState.Ready)
            {
                return;
            }

            _state = ServiceState.Stopped;
            _instance = null;
            _ready = null;
            var cause = reason ?? $"exited unexpectedly with code {exitCode?.ToString() ?? "unknown"}";
            _failure = new LaunchFailure(Service.Name, cause, Log.Tail(LogTailLines), _time.GetUtcNow(), _time.GetUtcNow());
            CancelIdleTimerLocked();
            Enqueue(ServiceState.Ready, ServiceState.Stopped, $"{cause}; the next request relaunches it");
        }
    }

    private void ScheduleIdleCheckLocked(TimeSpan dueIn)
    {
        if (Service.IdleTimeout == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        _idleTimer ??= _time.CreateTimer(static s => ((ServiceActivator)s!).OnIdleCheck(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _idleTimer.Change(dueIn, Timeout.InfiniteTimeSpan);
    }

    private void CancelIdleTimerLocked() => _idleTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    // Requests only stamp _lastActivity (no timer work on the hot path); the timer re-arms itself until the
    // service has really been idle for the whole timeout.
    private void OnIdleCheck()
    {
        lock (_gate)
        {
            if (_state != ServiceState.Ready)
            {
                return;
            }

            var idleFor = _time.GetElapsedTime(Volatile.Read(ref _lastActivity));
            if (Volatile.Read(ref _inFlight) > 0 || idleFor < Service.IdleTimeout)
            {
                ScheduleIdleCheckLocked(Volatile.Read(ref _inFlight) > 0 ? Service.IdleTimeout : Service.IdleTimeout - idleFor);
                return;
            }

            // Close the fast path first, then look again: a request that slipped in sees _ready == null and waits.
            var ready = _ready;
            _ready = null;
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _inFlight) > 0)
            {
                _ready = ready;
                ScheduleIdleCheckLocked(Service.IdleTimeout);
                return;
            }

            BeginStopLocked($"idle for {Format(idleFor)}");
        }
    }

    private void BeginStopLocked(string reason)
    {
        var instance = _instance!;
        _state = ServiceState.Stopping;
        _ready = null;
        CancelIdleTimerLocked();
        _transition = Task.Run(async () =>
        {
            await instance.StopAsync(Service.StopGracePeriod, CancellationToken.None).ConfigureAwait(false);
            lock (_gate)
            {
                if (ReferenceEquals(_instance, instance))
                {
                    _instance = null;
                }

                _state = ServiceState.Stopped;
                Enqueue(ServiceState.Stopping, ServiceState.Stopped, reason);
            }
        });
        Enqueue(ServiceState.Ready, ServiceState.Stopping, reason);
    }

    private void Enqueue(ServiceState from, ServiceState to, string detail)
    {
        Debug.Assert(_gate.IsHeldByCurrentThread, "state changes are queued under the lock, so their order is the order they happened in");
        // Only a launch's own changes carry its reason: a stop is not explained by what started the service.
        var reason = to is ServiceState.Starting or ServiceState.Ready or ServiceState.External or ServiceState.Failed ? _reason : null;
        _changes.Enqueue(new ServiceStateChange(Service.Name, from, to, detail, reason));
    }

    /// <summary>A duration as the mesh writes it in messages: 500 ms, 30 s, 2.5 min.</summary>
    public static string Format(TimeSpan t) => t.TotalMilliseconds < 1000 ? $"{t.TotalMilliseconds:0} ms" : t.TotalSeconds < 120 ? $"{t.TotalSeconds:0.#} s" : $"{t.TotalMinutes:0.#} min";

    /// <summary>Stops a launched instance (not an external one) and releases timers; used at mesh shutdown.</summary>
    public async ValueTask DisposeAsync()
    {
        _sourceWatch?.Dispose();
        await _lifetime.CancelAsync().ConfigureAwait(false);
        Task transition;
        lock (_gate)
        {
            transition = _transition;
        }

        await transition.ConfigureAwait(false);
        await StopAsync("the mesh is shutting down").ConfigureAwait(false);
        await WhenSettledAsync().ConfigureAwait(false);
        Task retiring;
        lock (_gate)
        {
            retiring = _retiring;
        }

        await retiring.ConfigureAwait(false);
        lock (_gate)
        {
            _idleTimer?.Dispose();
            _idleTimer = null;
            _quietTimer?.Dispose();
            _quietTimer = null;
            _changes.Complete();
        }

        await _changes.Delivered.ConfigureAwait(false);
        _lifetime.Dispose();
    }

    private sealed record ReadyEndpoint(ServiceEndpoint Endpoint);
}
