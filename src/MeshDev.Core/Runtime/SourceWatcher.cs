namespace MeshDev.Runtime;

/// <summary>
/// Tells when a project's sources change: a <see cref="FileSystemWatcher"/> per directory that
/// <see cref="SourceFingerprint"/> covers, ignoring what it ignores (bin, obj, dot-directories, the state directory), so
/// a build's own output never reports a change. It only says "maybe changed"; the fingerprint decides at the rebuild.
/// A directory that cannot be watched (the inotify limits) is said in the service's log; edits there are then picked up
/// at the service's next launch.
/// </summary>
internal sealed class SourceWatcher : IDisposable
{
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly string? _excluded;
    private readonly Action<string?> _changed;

    /// <param name="changed">Called with the path that changed, or null when events were lost; from any thread.</param>
    public SourceWatcher(string projectPath, string? excludedDirectory, ServiceLog log, Action<string?> changed)
    {
        _excluded = excludedDirectory is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(excludedDirectory));
        _changed = changed;
        foreach (var root in SourceFingerprint.ProjectDirectories(projectPath).Where(Directory.Exists))
        {
            var watcher = new FileSystemWatcher(root)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            };
            _watchers.Add(watcher);
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
                log.Write($"meshdev: cannot watch {root} for changes ({e.Message}); edits there are built at the next launch");
            }
        }
    }

    public void Dispose()
    {
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }
    }

    private void OnEvent(string root, string path)
    {
        if (!IsIgnored(root, path))
        {
            _changed(path);
        }
    }

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
