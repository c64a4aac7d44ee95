namespace MeshDev.Runtime;

/// <summary>
/// Moves a freshly spawned instance into its cgroup while it starts, not before (for services that speak systemd's
/// start-up protocols, see ProcessRuntime). A write to <c>cgroup.procs</c> waits for an RCU grace period in the kernel
/// (the cgroup threadgroup lock): 5–15 ms on the machines devtools/bench runs on, which the launcher shell waits out
/// before it execs the service, adding it to every cold request. The service's threads move together whenever the
/// write completes; a process it forked in those milliseconds stayed behind and is moved after it, found by the
/// instance's environment marker (one that also dropped the marker by then stays outside, in the service's process
/// group or found by nothing).
/// </summary>
internal static class CgroupJoin
{
    /// <summary>Starts the move of <paramref name="pid"/> on a thread of its own (it blocks); the task never faults.</summary>
    /// <param name="marker">The instance's <c>NAME=value</c> environment entry, which its early children carry too.</param>
    public static Task Start(Cgroup cgroup, int pid, string marker, ServiceLog log) =>
        Task.Factory.StartNew(() => Join(cgroup, pid, marker, log), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static void Join(Cgroup cgroup, int pid, string marker, ServiceLog log)
    {
        try
        {
            if (!cgroup.TryAdd(pid))
            {
                // A service that is gone already left nothing to find; one that runs on is still found by its marker.
                if (UnixProcess.IsAlive(pid))
                {
                    log.Write($"meshdev: could not move the service into the cgroup {cgroup.Path}; leftovers of this service are found by its environment instead");
                }

                return;
            }

            var inside = cgroup.Processes().ToHashSet();
            foreach (var early in MarkedProcesses.Find(marker, UnixProcess.SelfAndAncestors(Environment.ProcessId)))
            {
                if (!inside.Contains(early))
                {
                    cgroup.TryAdd(early);
                }
            }
        }
        catch (Exception e)
        {
            // Never fatal: whatever is not in the cgroup is still found by the process group and the marker.
            log.Write($"meshdev: moving the service into its cgroup failed: {e.Message}");
        }
    }
}
