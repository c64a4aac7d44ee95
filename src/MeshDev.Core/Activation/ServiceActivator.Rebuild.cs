using MeshDev.Runtime;

namespace MeshDev.Activation;

/// <remarks>
/// <para>
/// Rebuild on change. The runtime watches what the service's instances are made from (a project's sources, see
/// <see cref="IServiceRuntime.WatchSources"/>). A change only marks the ready service stale and closes the lock-free path,
/// so until then requests pay nothing for it. The next call (or, with <see cref="RebuildAtOnce"/>, the sources being
/// quiet for <see cref="QuietPeriod"/> after a change) begins the replacement; it and the calls after it are held as for a launch, so the first answer after an edit comes
/// from the edited code.
/// </para>
/// <para>
/// The replacement: the runtime rebuilds (<see cref="IServiceRuntime.PrepareReplacementAsync"/>, into a new directory)
/// while the old instance runs on. Sources found unchanged reopen the old instance as it was; a failed build reopens it
/// and says why (status' last error, the log, an event). With <c>port: auto</c> the new instance starts on a new port
/// beside the old one, which is stopped only once the new one is ready, so a new instance that fails to start also
/// leaves the old one serving. With a fixed <c>port:</c> both cannot listen at once: the old one stops first.
/// </para>
/// </remarks>
public sealed partial class ServiceActivator
{
    private readonly IDisposable? _sourceWatch;

    // Under _gate: the sources changed since the running instance's launch began.
    private bool _stale;

    // Replaced instances being stopped; awaited at dispose so none outlives the mesh.
    private Task _retiring = Task.CompletedTask;

    // RebuildAtOnce waits for the sources to be quiet this long: an editor's save (or a git checkout) is many events,
    // and a build begun at the first one would miss the rest and be redone at once.
    internal static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(300);

    private ITimer? _quietTimer;

    /// <summary>The sources changed since the running instance's launch began: the next call (or start) rebuilds it.</summary>
    public bool SourcesChanged { get { lock (_gate) { return _stale; } } }

    /// <summary>Rebuild as soon as the sources change (<c>meshdev up --watch</c>) instead of at the next call.</summary>
    public bool RebuildAtOnce { get; set; }

    // From the watcher's thread, possibly many times per edit.
    private void OnSourcesChanged()
    {
        lock (_gate)
        {
            // A stopped service is built from its sources as they are at its next launch anyway.
            if (_state is not (ServiceState.Ready or ServiceState.Starting) || _lifetime.IsCancellationRequested)
            {
                return;
            }

            _stale = true;
            if (_state == ServiceState.Ready)
            {
                OpenOrRebuildLocked(_instance!);
            }
        }
    }

    // A ready instance: opened to requests when current; when stale, closed so the next call rebuilds, or rebuilt now.
    private void OpenOrRebuildLocked(IServiceInstance instance)
    {
        if (!_stale)
        {
            _ready = new ReadyEndpoint(instance.Endpoint);
            return;
        }

        _ready = null;
        if (RebuildAtOnce)
        {
            _quietTimer ??= _time.CreateTimer(static s => ((ServiceActivator)s!).OnSourcesQuiet(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _quietTimer.Change(QuietPeriod, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnSourcesQuiet()
    {
        lock (_gate)
        {
            // A call may have begun the rebuild meanwhile, or an idle stop ended the instance.
            if (_state == ServiceState.Ready && _stale && !_lifetime.IsCancellationRequested)
            {
                BeginRebuildLocked(trigger: null);
            }
        }
    }

    // Under _gate: why the instance being replaced was launched, given back when the replacement does not happen.
    private LaunchReason? _reasonBeforeRebuild;

    // trigger: the call (or start) that found the service stale; null when the edit itself began the rebuild (--watch).
    private void BeginRebuildLocked(LaunchReason? trigger)
    {
        var old = _instance!;
        _stale = false;
        // A rebuild is a launch (status counts it): what began it is why the service now runs, not its first launch.
        _reasonBeforeRebuild = _reason;
        _reason = LaunchReason.RebuildFor(trigger);
        _ready = null;
        _state = ServiceState.Starting;
        _startedAt = _time.GetTimestamp();
        CancelIdleTimerLocked();
        _transition = Task.Run(() => RebuildAsync(old));
        Enqueue(ServiceState.Ready, ServiceState.Starting, "its sources changed: rebuilding");
    }

    private async Task RebuildAsync(IServiceInstance old)
    {
        var cancellationToken = _lifetime.Token;
        try
        {
            if (!await _launcher.PrepareReplacementAsync(old, cancellationToken).ConfigureAwait(false))
            {
                KeepRunning(old, "its sources are unchanged; kept the running instance", failure: null);
                return;
            }
        }
        catch (Exception ex)
        {
            var cause = $"rebuild failed: {ServiceLauncher.CauseOf(ex)}";
            KeepRunning(old, $"{cause}; still serving the previous build", failure: cause);
            return;
        }

        var fixedPort = Service.Port;
        if (fixedPort is not null)
        {
            Log.Write($"meshdev: stopping the previous build first: both cannot listen on port {fixedPort}");
            await old.StopAsync(Service.StopGracePeriod, CancellationToken.None).ConfigureAwait(false);
        }

        IServiceInstance next;
        try
        {
            next = await _launcher.LaunchAsync(SetInstance, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var cause = cancellationToken.IsCancellationRequested ? "the mesh is shutting down" : ServiceLauncher.CauseOf(ex);
            if (fixedPort is not null)
            {
                Fail(cause);
            }
            else
            {
                cause = $"the rebuilt instance did not start: {cause}";
                KeepRunning(old, $"{cause}; still serving the previous build", failure: cause);
            }

            return;
        }

        if (next.Ownership == InstanceOwnership.Launched)
        {
            BecomeReady(next, "rebuilt, ");
        }
        else
        {
            BecomeExternal(next);
        }

        if (fixedPort is null)
        {
            // Its calls in flight finish within the grace period; new ones already go to the new instance.
            var stop = old.StopAsync(Service.StopGracePeriod, CancellationToken.None);
            lock (_gate)
            {
                _retiring = Task.WhenAll(_retiring, stop);
            }
        }
    }

    // The replacement did not happen: the old instance serves again, unless it exited meanwhile.
    private void KeepRunning(IServiceInstance old, string detail, string? failure)
    {
        if (failure is not null)
        {
            Log.Write($"meshdev: {detail}");
        }

        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (failure is not null)
            {
                _failure = new LaunchFailure(Service.Name, failure, Log.Tail(LogTailLines), now, now);
            }

            _instance = old;
            _reason = _reasonBeforeRebuild;
            if (old.Exited.IsCompleted)
            {
                _instance = null;
                _ready = null;
                _state = ServiceState.Stopped;
                Enqueue(ServiceState.Starting, ServiceState.Stopped, $"{detail}, but it exited meanwhile; the next request launches it");
                return;
            }

            _state = ServiceState.Ready;
            Volatile.Write(ref _lastActivity, _time.GetTimestamp());
            ScheduleIdleCheckLocked(Service.IdleTimeout);
            OpenOrRebuildLocked(old); // the endpoint before the change, which watchers read when it arrives
            Enqueue(ServiceState.Starting, ServiceState.Ready, detail);
        }
    }
}
