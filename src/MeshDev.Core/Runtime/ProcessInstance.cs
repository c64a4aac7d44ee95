using System.ComponentModel;
using System.Diagnostics;

namespace MeshDev.Runtime;

/// <summary>
/// One service running as a local process, leader of its own process group (session): stopping signals the whole group,
/// so shells, launchers and their children all go, and nothing of the group outlives the instance. Neither does what
/// left the group (setsid, setpgid, double fork): <see cref="InstanceProcesses"/> finds those.
/// </summary>
internal sealed class ProcessInstance : IServiceInstance
{
    /// <summary>How long to wait, once the process has exited, for the rest of its output; an escaped grandchild may hold the pipe for ever.</summary>
    internal static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly Process _process;
    private readonly bool _ownGroup;
    private readonly PidFile? _pidFile;
    private readonly InstanceProcesses _processes;
    private readonly TimeProvider _time;
    private readonly IDisposable? _ownedUntilExit;
    private readonly TaskCompletionSource<int?> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private bool _stopping;
    private bool _disposed;

    /// <param name="process">The started process, with redirected output not read yet.</param>
    /// <param name="ownGroup">Whether the process leads its own process group (started through setsid), so pgid == pid.</param>
    /// <param name="pidFile">Where the group is recorded for <see cref="ProcessRuntime.KillOrphansAsync"/>, or null.</param>
    /// <param name="processes">Everything the instance starts, also outside its group.</param>
    /// <param name="readiness">The instance's own readiness signal (<see cref="IServiceInstance.Readiness"/>), or null for the service's probe.</param>
    /// <param name="ownedUntilExit">Closed when the process exits (the NOTIFY_SOCKET it was given).</param>
    public ProcessInstance(
        Process process, bool ownGroup, ServiceEndpoint endpoint, ServiceLog log, string? pidFile, InstanceProcesses processes, TimeProvider time,
        IReadinessProbe? readiness = null, IDisposable? ownedUntilExit = null)
    {
        _process = process;
        Readiness = readiness;
        _ownedUntilExit = ownedUntilExit;
        _ownGroup = ownGroup;
        _processes = processes;
        _time = time;
        ProcessId = process.Id;
        Endpoint = endpoint;

        var drained = OutputPump.Start(process, log);
        if (pidFile is not null && UnixProcess.TryGetStartTime(ProcessId) is long startTime)
        {
            try
            {
                var record = new PidFile(pidFile, ProcessId, startTime);
                record.Write();
                _pidFile = record;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Only `meshdev down` after a daemon crash needs the record; the instance itself runs fine without it.
                log.Write($"meshdev: could not record the process in {pidFile}: {e.Message}");
            }
        }

        _ = MonitorAsync(drained);
    }

    /// <summary>The pid of the process; also its process group id when it leads its own group.</summary>
    public int ProcessId { get; }

    int? IServiceInstance.ProcessId => ProcessId;

    string? IServiceInstance.CgroupPath => _processes.Cgroup?.Path;

    public ServiceEndpoint Endpoint { get; }

    public IReadinessProbe? Readiness { get; }

    public Task<int?> Exited => _exited.Task;

    public async Task StopAsync(TimeSpan gracePeriod, CancellationToken cancellationToken)
    {
        if (Exited.IsCompleted)
        {
            // Already gone; its group was cleaned up when it went. Signalling that pgid again could, after pid reuse, hit a stranger.
            return;
        }

        lock (_gate)
        {
            _stopping = true;
        }

        await _processes.Joined.ConfigureAwait(false);
        Signal(UnixProcess.SigTerm);
        // What left the group gets the same polite signal.
        _processes.SignalOutsideGroup(ProcessId, UnixProcess.SigTerm);
        var cancelled = false;
        try
        {
            if (gracePeriod > TimeSpan.Zero)
            {
                await Exited.WaitAsync(gracePeriod, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (TimeoutException)
        {
        }
        catch (OperationCanceledException)
        {
            // Giving up on the polite stop still has to stop it: escalate now rather than leave it running.
            cancelled = true;
        }

        if (!Exited.IsCompleted)
        {
            ForceKill();
        }

        await Exited.ConfigureAwait(false);

        // The leader is gone; members of its group that ignored SIGTERM and closed their output would otherwise linger,
        // and so would what left the group.
        KillGroup();
        _processes.Kill();
        await _processes.ReleaseAsync(_time, CancellationToken.None).ConfigureAwait(false);
        if (cancelled)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
        lock (_gate)
        {
            _disposed = true;
            _process.Dispose();
        }
    }

    /// <summary>Waits for output to be drained, but no longer than <see cref="DrainTimeout"/>.</summary>
    internal static async Task WaitDrainedAsync(Task drained, TimeProvider time)
    {
        try
        {
            await drained.WaitAsync(DrainTimeout, time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }

    private async Task MonitorAsync(Task drained)
    {
        int? exitCode = null;
        try
        {
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            exitCode = _process.ExitCode;
            await _processes.Joined.ConfigureAwait(false);

            bool stopping;
            lock (_gate)
            {
                stopping = _stopping;
            }

            // The service died on its own: whatever it left in its group is an orphan nobody will stop. During a stop,
            // StopAsync escalates on its own schedule so that children get their grace period.
            if (!stopping)
            {
                KillGroup();
                _processes.Kill();
            }

            await WaitDrainedAsync(drained, _time).ConfigureAwait(false);
            if (!stopping)
            {
                await _processes.ReleaseAsync(_time, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception)
        {
            // Exit code unknown; the process is gone all the same.
        }
        finally
        {
            _ownedUntilExit?.Dispose();
            _pidFile?.DeleteIfCurrent();
            _exited.TrySetResult(exitCode);
        }
    }

    private void Signal(int signal)
    {
        // The group includes the leader, which must get the signal once only (some programs take a second SIGTERM as
        // "force quit"). The pid alone only when there is no group yet: right after the start, before setsid ran.
        if (!(_ownGroup && UnixProcess.SignalGroup(ProcessId, signal)) && LeaderRunning())
        {
            UnixProcess.SignalProcess(ProcessId, signal);
        }
    }

    private bool LeaderRunning()
    {
        lock (_gate)
        {
            try
            {
                // Once reaped, its pid may be reused: only a running leader may be signalled by pid.
                return !_disposed && !_process.HasExited;
            }
            catch (Exception e) when (e is InvalidOperationException or Win32Exception)
            {
                return false;
            }
        }
    }

    private void ForceKill()
    {
        // The tree first, while the leader still links its descendants (this reaches children that left the group);
        // then the group, which reaches members whose parent already died.
        lock (_gate)
        {
            if (!_disposed)
            {
                try
                {
                    _process.Kill(entireProcessTree: true);
                }
                catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
                {
                }
            }
        }

        Signal(UnixProcess.SigKill);
        _processes.Kill();
    }

    private void KillGroup()
    {
        if (_ownGroup)
        {
            UnixProcess.SignalGroup(ProcessId, UnixProcess.SigKill);
        }
    }
}
