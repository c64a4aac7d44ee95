namespace MeshDev.Daemon.State;

/// <summary>Finds the daemon of a manifest's mesh from its <c>daemon.json</c>, for clients of the control port.</summary>
public static class RunningDaemon
{
    /// <summary>The running daemon's file, or null with one sentence on what to do.</summary>
    public static DaemonInfo? TryFind(string manifestPath, out string why)
    {
        var info = DaemonInfo.TryRead(StateDirectory.For(manifestPath).DaemonFile);
        if (info is null)
        {
            why = $"no mesh is running for {Path.GetFullPath(manifestPath)} (start one with 'meshdev up')";
            return null;
        }

        if (!info.IsAlive)
        {
            why = $"the mesh for {Path.GetFullPath(manifestPath)} is not running any more (pid {info.Pid} is gone); run 'meshdev down' to clean up, then 'meshdev up'";
            return null;
        }

        why = "";
        return info;
    }
}
