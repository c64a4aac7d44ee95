namespace MeshDev.Authoring.Compose;

/// <summary>What every service of one compose file is read against: where the files are, the project, the new service names.</summary>
internal sealed class ImportContext
{
    public required ComposeReader Reader { get; init; }

    public required ComposeSources Sources { get; init; }

    /// <summary>The compose file's folder as the user named it (empty for the current folder); the files it refers to are shown from here.</summary>
    public required string ComposeDirectory { get; init; }

    /// <summary>The compose file's folder, absolute: compose resolves relative host paths from here.</summary>
    public required string ComposeFullDirectory { get; init; }

    /// <summary>Where the manifest will be, absolute: the manifest resolves relative host paths from here.</summary>
    public required string ManifestFullDirectory { get; init; }

    /// <summary>The compose project name, which names the images compose builds (<c>{project}-{service}</c>).</summary>
    public required string ProjectName { get; init; }

    /// <summary>The manifest name of each compose service.</summary>
    public required IReadOnlyDictionary<string, string> ServiceNames { get; init; }

    /// <summary>A file the compose file names, as the user would write its path (relative names are from the compose file's folder).</summary>
    public string FilePath(string path)
    {
        if (Path.IsPathRooted(path))
        {
            return path;
        }

        // 'shop/common.env' reads better than 'shop/./common.env'.
        while (path.StartsWith("./", StringComparison.Ordinal))
        {
            path = path[2..];
        }

        return Path.Join(ComposeDirectory, path);
    }

    /// <summary>
    /// A host path of a volume, rewritten so the manifest points where compose did: relative to the manifest when it was
    /// relative in the compose file (kept starting with <c>.</c> so it never reads as a volume name), absolute when it was.
    /// A path from the home folder (<c>~/…</c>) is kept as written: the manifest reads <c>~</c> as compose does, on whichever machine runs it.
    /// </summary>
    public string HostPath(string source)
    {
        if (source.StartsWith('~') || Path.IsPathRooted(source))
        {
            return source;
        }

        var relative = Path.GetRelativePath(ManifestFullDirectory, Path.GetFullPath(source, ComposeFullDirectory)).Replace('\\', '/').TrimEnd('/');
        return relative == "." || relative == ".." || relative.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(relative)
            ? relative
            : "./" + relative;
    }
}
