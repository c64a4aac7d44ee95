namespace MeshDev.Runtime;

/// <summary>Where the process runtime keeps its files under the state directory.</summary>
internal static class StateFiles
{
    /// <summary><c>{stateDir}/pids</c>: one <see cref="PidFile"/> per running service.</summary>
    public static string PidDirectory(string stateDirectory) => Path.Combine(stateDirectory, "pids");

    public static string PidFile(string stateDirectory, string service) => Path.Combine(PidDirectory(stateDirectory), SafeName(service) + ".pid");

    /// <summary><c>{stateDir}/cgroup</c>: the path of the cgroup that holds the mesh's process instances, while there is one.</summary>
    public static string CgroupRecord(string stateDirectory) => Path.Combine(stateDirectory, "cgroup");

    /// <summary>
    /// <c>{stateDir}/build</c>: <c>{service}/{n}/</c> holds a project's n-th build (a new directory per build, so a rebuild
    /// never writes under a running instance), <c>{service}.stamp</c> the fingerprint and directory of the newest.
    /// </summary>
    public static string BuildRoot(string stateDirectory) => Path.Combine(stateDirectory, "build");

    /// <summary>The directory holding every build of the service, one numbered directory each.</summary>
    public static string BuildOutputs(string buildRoot, string service) => Path.Combine(buildRoot, SafeName(service));

    public static string BuildStamp(string buildRoot, string service) => Path.Combine(buildRoot, SafeName(service) + ".stamp");

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    // Service names are validated by the catalog; this only keeps a stray separator from escaping the directory.
    public static string SafeName(string service) =>
        string.Concat(service.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
}
