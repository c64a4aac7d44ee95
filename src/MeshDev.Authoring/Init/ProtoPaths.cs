namespace MeshDev.Authoring.Init;

/// <summary>
/// The files an item's <c>Include</c> names, relative to the project: a path, or a wildcard in its last part
/// (<c>Protos\*.proto</c>) or a <c>**</c> folder (<c>..\proto\**\*.proto</c>). Backslashes are MSBuild's separators.
/// </summary>
internal static class ProtoPaths
{
    public static IEnumerable<string> Expand(string projectDirectory, string include)
    {
        var path = include.Replace('\\', '/');
        if (!path.Contains('*', StringComparison.Ordinal))
        {
            var full = Path.GetFullPath(Path.Combine(projectDirectory, path));
            return File.Exists(full) ? [full] : [];
        }

        var parts = path.Split('/');
        var firstWild = Array.FindIndex(parts, p => p.Contains('*', StringComparison.Ordinal));
        var root = Path.GetFullPath(Path.Combine(projectDirectory, string.Join('/', parts[..firstWild])));
        if (!Directory.Exists(root))
        {
            return [];
        }

        var recursive = parts.AsSpan(firstWild, parts.Length - firstWild - 1).Contains("**");
        var files = Directory.EnumerateFiles(root, parts[^1], recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly);
        return files.Order(StringComparer.Ordinal);
    }
}
