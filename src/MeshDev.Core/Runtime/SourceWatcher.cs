namespace MeshDev.Runtime;

/// <summary>
/// Tells when a project's sources change: a <see cref="FileSystemWatcher"/> per directory that
/// <see cref="SourceFingerprint"/> covers, ignoring what it ignores (bin, obj, dot-directories, the state directory), so
/// a build's own output never reports a change. It only says "maybe changed"; the fingerprint decides at the rebuild.
/// </summary>
internal sealed class SourceWatcher : IDisposable
{
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly string? _excluded;
    private readonly Action _changed;

    public SourceWatcher(string projectPath, string? excludedDirectory, Action changed)
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
            watcher.Changed += (_, e) => OnEvent(root, e.FullPath);
            watcher.Created += (_, e) => OnEvent(root, e.FullPath);
            watcher.Deleted += (_, e) => OnEvent(root, e.FullPath);
            watcher.Renamed += (_, e) => OnEvent(root, e.FullPath);

            // Events were lost (buffer overflow): something may have changed.
            watcher.Error += (_, _) => _changed();
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
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
            _changed();
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
