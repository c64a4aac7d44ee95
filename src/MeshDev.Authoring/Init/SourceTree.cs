namespace MeshDev.Authoring.Init;

/// <summary>Walks a folder the way the .NET SDK globs a project's files: bin, obj, node_modules and hidden folders left out.</summary>
internal static class SourceTree
{
    private static readonly HashSet<string> SkippedFolders = new(["bin", "obj", "node_modules"], StringComparer.OrdinalIgnoreCase);

    /// <summary>The files under <paramref name="directory"/> that <paramref name="wanted"/> accepts: a folder's own files first, each level in name order.</summary>
    public static IEnumerable<string> Files(string directory, Func<string, bool> wanted)
    {
        var files = Directory.EnumerateFiles(directory).Where(wanted).Order(StringComparer.Ordinal);
        var folders = Directory.EnumerateDirectories(directory)
            .Where(d => Path.GetFileName(d) is var name && !name.StartsWith('.') && !SkippedFolders.Contains(name))
            .Order(StringComparer.Ordinal);
        return files.Concat(folders.SelectMany(folder => Files(folder, wanted)));
    }
}
