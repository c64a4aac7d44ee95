using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;

namespace MeshDev.Runtime;

/// <summary>
/// A cheap "did the sources change" check for a .NET project: a hash over (relative path, size, modification time) of
/// every file under the project's directory and the directories of the projects it references, without reading any file.
/// </summary>
internal static class SourceFingerprint
{
    /// <summary>Computes the fingerprint. <paramref name="excludedDirectory"/> (the mesh's state directory) is never walked.</summary>
    public static string Compute(string projectPath, string? excludedDirectory)
    {
        var excluded = excludedDirectory is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(excludedDirectory));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var root in ProjectDirectories(projectPath))
        {
            Append(hash, $"root\t{root}\n");
            var files = new List<(string Relative, long Size, long Ticks)>();
            Walk(new DirectoryInfo(root), root, excluded, files);
            files.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
            foreach (var (relative, size, ticks) in files)
            {
                Append(hash, string.Create(CultureInfo.InvariantCulture, $"{relative}\t{size}\t{ticks}\n"));
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The project's directory, then those of its project references (transitively), each once.</summary>
    internal static List<string> ProjectDirectories(string projectPath)
    {
        var directories = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<string>([Path.GetFullPath(projectPath)]);
        while (pending.TryDequeue(out var project))
        {
            if (!seen.Add(project))
            {
                continue;
            }

            var directory = Path.GetDirectoryName(project)!;
            if (!directories.Contains(directory, StringComparer.Ordinal))
            {
                directories.Add(directory);
            }

            foreach (var reference in ProjectReferences(project))
            {
                pending.Enqueue(Path.GetFullPath(Path.Combine(directory, reference)));
            }
        }

        return directories;
    }

    private static List<string> ProjectReferences(string project)
    {
        XDocument document;
        try
        {
            document = XDocument.Load(project);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Xml.XmlException)
        {
            // A missing or broken project file is the build's to report; it just contributes no references here.
            return [];
        }

        return document.Descendants()
            .Where(e => e.Name.LocalName == "ProjectReference")
            .Select(e => (string?)e.Attribute("Include"))
            .Where(include => !string.IsNullOrWhiteSpace(include) && !include.Contains("$("))
            .Select(include => include!.Replace('\\', '/'))
            .ToList();
    }

    private static void Walk(DirectoryInfo directory, string root, string? excluded, List<(string, long, long)> files)
    {
        IEnumerable<FileSystemInfo> entries;
        try
        {
            entries = directory.EnumerateFileSystemInfos().ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (var entry in entries)
        {
            if (entry is DirectoryInfo child)
            {
                // bin/obj are build output; dot-directories (.meshdev, .git, .vs, .idea) hold state, not sources, and
                // .git alone changes on every git command. Symlinked directories are skipped to avoid cycles.
                if (child.Name is "bin" or "obj" || child.Name.StartsWith('.') || child.LinkTarget is not null
                    || string.Equals(Path.TrimEndingDirectorySeparator(child.FullName), excluded, StringComparison.Ordinal))
                {
                    continue;
                }

                Walk(child, root, excluded, files);
            }
            else if (entry is FileInfo file)
            {
                try
                {
                    files.Add((Path.GetRelativePath(root, file.FullName), file.Length, file.LastWriteTimeUtc.Ticks));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Deleted while walking: it simply is not part of this fingerprint.
                }
            }
        }
    }

    private static void Append(IncrementalHash hash, string text) => hash.AppendData(Encoding.UTF8.GetBytes(text));
}
