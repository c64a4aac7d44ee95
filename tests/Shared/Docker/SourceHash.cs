using System.Security.Cryptography;
using System.Text;

namespace MeshDev.Testing.Docker;

/// <summary>A hash of what a publish is made from, so an unchanged project is found published (or imaged) and not published again.</summary>
internal static class SourceHash
{
    // Besides the projects' own files, these decide what a publish produces.
    private static readonly string[] SharedBuildFiles = ["Directory.Build.props", "Directory.Packages.props", "global.json", "tests/Directory.Build.props"];

    /// <summary>SHA-256 over the files of <paramref name="projects"/> (without bin/ and obj/) and the repository-wide build settings, with their relative paths.</summary>
    public static string Of(params string[] projects)
    {
        var files = projects
            .SelectMany(project => Directory.EnumerateFiles(project, "*", SearchOption.AllDirectories)
                .Where(file => !IsBuildOutput(Path.GetRelativePath(project, file))))
            .Concat(SharedBuildFiles.Select(file => Path.Combine(RepositoryPaths.Root, file)).Where(File.Exists))
            .Select(file => (Relative: Path.GetRelativePath(RepositoryPaths.Root, file).Replace('\\', '/'), Path: file))
            .OrderBy(file => file.Relative, StringComparer.Ordinal);

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (relative, path) in files)
        {
            var content = File.ReadAllBytes(path);
            hash.AppendData(Encoding.UTF8.GetBytes($"{relative}\n{content.Length}\n"));
            hash.AppendData(content);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static bool IsBuildOutput(string relative)
    {
        var first = relative.Split(Path.DirectorySeparatorChar, 2)[0];
        return first is "bin" or "obj";
    }
}
