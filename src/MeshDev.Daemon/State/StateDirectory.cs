using MeshDev.Catalog;

namespace MeshDev.Daemon.State;

/// <summary>
/// Where a mesh keeps its runtime state: <c>.meshdev/</c> next to its manifest (like <c>bin/</c> next to a project) —
/// the daemon file, per-service logs, pid files of launched process groups and build outputs.
/// </summary>
public sealed record StateDirectory(string Root)
{
    public static StateDirectory For(string manifestPath) => In(Path.GetDirectoryName(Path.GetFullPath(manifestPath))!);

    /// <summary>The state directory of a manifest in <paramref name="folder"/>, whatever the manifest's file name.</summary>
    public static StateDirectory In(string folder) => new(Path.Combine(folder, ".meshdev"));

    public static StateDirectory For(MeshManifest manifest) => For(manifest.FilePath);

    /// <summary>Who runs this mesh and how to reach its control API (owner-only permissions).</summary>
    public string DaemonFile => Path.Combine(Root, "daemon.json");

    /// <summary>The call graph's edges, kept between runs for the pre-launch (<c>mesh.prewarm: observed</c>).</summary>
    public string CallsFile => Path.Combine(Root, "calls.json");

    /// <summary>Output of a detached daemon.</summary>
    public string DaemonLog => Path.Combine(Root, "daemon.log");

    public string LogsDirectory => Path.Combine(Root, "logs");

    public string ServiceLog(string service) => Path.Combine(LogsDirectory, service + ".log");

    public void Create()
    {
        Directory.CreateDirectory(Root);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Directory.CreateDirectory(LogsDirectory);

        // The state is this machine's (builds, logs, pids, the control token), never the repository's: a `git add .` in
        // a solution that has a manifest must not take it, whatever the solution's own .gitignore says.
        var gitignore = Path.Combine(Root, ".gitignore");
        if (!File.Exists(gitignore))
        {
            File.WriteAllText(gitignore, "# Written by meshdev: this folder is the mesh's state on this machine.\n*\n");
        }
    }
}
