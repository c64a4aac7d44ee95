namespace MeshDev.Daemon.State;

/// <summary>Finds the daemon of a manifest's mesh from its <c>daemon.json</c>, for clients of the control port.</summary>
public static class RunningDaemon
{
    // How deep below the current folder a running mesh is looked for when the manifest named is not there: the README's
    // first command runs samples/shop/meshdev.yaml from the checkout's root (depth 2).
    private const int SearchDepth = 3;

    // A bound on the folders read, so that a command run from a home folder answers at once.
    private const int SearchBudget = 2000;

    private static readonly HashSet<string> Skipped = new(StringComparer.Ordinal) { "bin", "obj", "node_modules", "artifacts" };

    /// <summary>The running daemon's file, or null with one sentence on what to do.</summary>
    public static DaemonInfo? TryFind(string manifestPath, out string why)
    {
        var info = DaemonInfo.TryRead(StateDirectory.For(manifestPath).DaemonFile);
        if (info is null)
        {
            why = NoneRunning(manifestPath);
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

    /// <summary>
    /// Why no mesh answers for <paramref name="manifestPath"/>. When there is no such file (a command run from another
    /// folder than <c>up</c> was, without <c>-f</c>), says so, and names the running meshes of the folders around.
    /// </summary>
    /// <param name="fileOption">The option the verb names the manifest with: <c>--file</c> for <c>logs</c>, whose <c>-f</c> is <c>--follow</c>.</param>
    public static string NoneRunning(string manifestPath, string fileOption = "-f")
    {
        var full = Path.GetFullPath(manifestPath);
        if (File.Exists(full))
        {
            return $"no mesh is running for {full} (start one with 'meshdev up')";
        }

        var here = Directory.GetCurrentDirectory();
        var running = Around(here).Select(m => Path.GetRelativePath(here, m)).ToList();
        return running switch
        {
            [] => $"there is no manifest at {full}, and no mesh runs for one: run meshdev in the manifest's folder or pass {fileOption} FILE",
            [var one] => $"there is no manifest at {full}; a mesh is running for {one}: pass {fileOption} {one}",
            _ => $"there is no manifest at {full}; meshes are running for {string.Join(", ", running)}: pass {fileOption} with one of them",
        };
    }

    /// <summary>The manifests of the live meshes in <paramref name="directory"/>'s parents and a few levels below it.</summary>
    private static IReadOnlyList<string> Around(string directory)
    {
        var found = new List<string>();
        for (var parent = Path.GetDirectoryName(directory); parent is not null; parent = Path.GetDirectoryName(parent))
        {
            AddIfRunning(parent, found);
        }

        var budget = SearchBudget;
        var level = new List<string> { directory };
        for (var depth = 0; depth <= SearchDepth && level.Count > 0; depth++)
        {
            var next = new List<string>();
            foreach (var folder in level)
            {
                AddIfRunning(folder, found);
                if (depth < SearchDepth && budget > 0)
                {
                    var children = Children(folder);
                    budget -= children.Count;
                    next.AddRange(children);
                }
            }

            level = next;
        }

        return [.. found.Distinct(StringComparer.Ordinal)];
    }

    private static void AddIfRunning(string folder, List<string> found)
    {
        var file = StateDirectory.In(folder).DaemonFile;
        if (File.Exists(file) && DaemonInfo.TryRead(file) is { IsAlive: true } info)
        {
            found.Add(info.Manifest);
        }
    }

    private static List<string> Children(string folder)
    {
        try
        {
            return [.. new DirectoryInfo(folder).EnumerateDirectories()
                .Where(d => !d.Name.StartsWith('.') && !Skipped.Contains(d.Name) && !d.Attributes.HasFlag(FileAttributes.ReparsePoint))
                .Select(d => d.FullName)
                .Order(StringComparer.Ordinal)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
