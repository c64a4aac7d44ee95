namespace MeshDev.Runtime;

/// <summary>
/// Tells when a project's sources change: a <see cref="FileSystemWatcher"/> per directory that
/// <see cref="SourceFingerprint"/> covers, ignoring what it ignores (bin, obj, dot-directories, the state directory), so
/// a build's own output never reports a change. It only says "maybe changed"; the fingerprint decides at the rebuild.
/// A directory that cannot be watched (the inotify limits) is said in the service's log; edits there are then picked up
/// at the service's next launch. A project file that changes may name a new project reference: its directory is
/// watched from then on, or edits of a library added while the mesh runs would never reach the service.
/// </summary>
internal sealed class SourceWatcher : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, FileSystemWatcher> _watchers = new(StringComparer.Ordinal);
    private readonly string _projectPath;
    private readonly string? _excluded;
    private readonly ServiceLog _log;
    private readonly Action<string?> _changed;
    private bool _disposed;

    /// <param name="changed">Called with the path that changed, or null when events were lost; from any thread.</param>
    public SourceWatcher(string projectPath, string? excludedDirectory, ServiceLog log, Action<string?> changed)
    {
        _projectPath = projectPath;
        _excluded = excludedDirectory is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(excludedDirectory));
        _log = log;
        _changed = changed;
        WatchProjectDirectories();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var watcher in _watchers.Values)
            {
                watcher.Dispose();
            }

            _watchers.Clear();
        }
    }

    // Adds a watcher for each directory of the project and its references not watched yet, and returns those; a
    // directory no longer referenced stays watched (a change there only makes the fingerprint look again).
    private List<string> WatchProjectDirectories()
    {
        var roots = SourceFingerprint.ProjectDirectories(_projectPath);
        lock (_gate)
        {
            if (_disposed)
            {
                return [];
            }

            List<string> added = [.. roots.Where(root => !_watchers.ContainsKey(root) && Directory.Exists(root))];
            foreach (var root in added)
            {
                _watchers[root] = Watch(root);
            }

            return added;
        }
    }

    private FileSystemWatcher Watch(string root)
    {
        var watcher = new FileSystemWatcher(root)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        watcher.Changed += (_, e) => OnEvent(root, e.FullPath);
        watcher.Created += (_, e) => OnEvent(root, e.FullPath);
        watcher.Deleted += (_, e) => OnEvent(root, e.FullPath);
        watcher.Renamed += (_, e) => OnEvent(root, e.FullPath);

        // Events were lost (buffer overflow): something may have changed.
        watcher.Error += (_, _) => _changed(null);
        try
        {
            watcher.EnableRaisingEvents = true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            _log.Write($"meshdev: cannot watch {root} for changes ({e.Message}); edits there are built at the next launch");
        }

        return watcher;
    }

    private void OnEvent(string root, string path)
    {
        if (IsIgnored(root, path))
        {
            return;
        }

        var added = IsProjectFile(path) ? WatchProjectDirectories() : null;
        _changed(path);

        // The project file's write can be seen before its new reference is in it, and the reference's sources edited
        // before the next event of that write adds their watcher: "maybe changed" for the new directory covers that.
        foreach (var directory in added ?? [])
        {
            _changed(directory);
        }
    }

    private static bool IsProjectFile(string path) =>
        path.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".fsproj", StringComparison.OrdinalIgnoreCase)
        || path.EndsWith(".vbproj", StringComparison.OrdinalIgnoreCase);

    private bool IsIgnored(string root, string path)
    {
        if (_excluded is not null && (path == _excluded || path.StartsWith(_excluded + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
        {
            return true;
        }

        var relative = Path.GetRelativePath(root, path);
        return relative.Split(Path.DirectorySeparatorChar).Any(segment => segment is "bin" or "obj" || segment.StartsWith('.'));
    }
}
