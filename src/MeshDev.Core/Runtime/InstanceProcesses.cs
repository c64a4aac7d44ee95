namespace MeshDev.Runtime;

/// <summary>
/// Every process one service instance started, wherever it went (its own session, another group, reparented to init):
/// those in the instance's cgroup, or — where it has none, or nothing ever got into it — those whose environment
/// carries the instance's marker (<see cref="MarkedProcesses.InstanceVariable"/>).
/// </summary>
internal sealed class InstanceProcesses
{
    private readonly string _marker;
    private volatile bool _cgroupUsed;

    /// <param name="cgroup">The instance's own cgroup, or null where none could be made.</param>
    /// <param name="marker">The <c>NAME=value</c> entry in the environment of the instance (and so of everything it starts).</param>
    /// <param name="joined">Completes once the instance was moved into <paramref name="cgroup"/> (or could not be); never faults.</param>
    public InstanceProcesses(Cgroup? cgroup, string marker, Task? joined = null)
    {
        Cgroup = cgroup;
        _marker = marker;
        Joined = joined ?? Task.CompletedTask;
    }

    public Cgroup? Cgroup { get; }

    /// <summary>
    /// The move into the cgroup (<see cref="CgroupJoin"/>): awaited before anything is signalled or killed, so that a
    /// move still under way cannot put a process into the cgroup after it was killed or removed.
    /// </summary>
    public Task Joined { get; }

    /// <summary>Sends <paramref name="signal"/> to the instance's processes outside group <paramref name="processGroup"/> (which the caller signals itself, once).</summary>
    public void SignalOutsideGroup(int processGroup, int signal)
    {
        foreach (var pid in Members())
        {
            if (pid != processGroup && UnixProcess.TryGetProcessGroup(pid) is { } group && group != processGroup)
            {
                UnixProcess.SignalProcess(pid, signal);
            }
        }
    }

    /// <summary>SIGKILLs every process of the instance.</summary>
    public void Kill()
    {
        if (InCgroup())
        {
            Cgroup!.Kill();
        }
        else
        {
            MarkedProcesses.Kill(_marker, UnixProcess.SelfAndAncestors(Environment.ProcessId));
        }
    }

    /// <summary>Removes the instance's cgroup once what was killed in it is gone.</summary>
    public async Task ReleaseAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        if (Cgroup is not null)
        {
            await Cgroup.RemoveAsync(time, cancellationToken).ConfigureAwait(false);
        }
    }

    private List<int> Members() => InCgroup()
        ? Cgroup!.Processes()
        : MarkedProcesses.Find(_marker, UnixProcess.SelfAndAncestors(Environment.ProcessId));

    // Only the spawn wrapper or the join puts processes into the cgroup: one that was never seen populated may be one
    // they could not move there (or one whose processes are all gone), and then the marker is what still finds them. Once seen in use, the
    // cgroup alone holds everything, and an empty one means nothing is left (no need to search /proc).
    private bool InCgroup() => _cgroupUsed || (_cgroupUsed = Cgroup?.IsPopulated() == true);
}
