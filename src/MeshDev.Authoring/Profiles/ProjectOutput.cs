using System.Xml;
using System.Xml.Linq;

namespace MeshDev.Authoring.Profiles;

/// <summary>
/// Where <c>dotnet build</c> (Debug) puts a project's app — <c>bin/Debug/{TargetFramework}/{AssemblyName}.dll</c> —
/// read from the project file and the nearest Directory.Build.props that sets it. MSBuild is not evaluated: that takes
/// a second per project, and these two properties are almost always plain text.
/// </summary>
public sealed record ProjectOutput(string AssemblyName, string TargetFramework)
{
    /// <summary>The app's path for <paramref name="projectPath"/> (an absolute .csproj path).</summary>
    public string AppPath(string projectPath) =>
        Path.Combine(Path.GetDirectoryName(projectPath)!, "bin", "Debug", TargetFramework, AssemblyName + ".dll");

    /// <summary>
    /// Reads <paramref name="projectPath"/>. What it does not say (or says through an MSBuild expression) comes from
    /// the Directory.Build.props files above it, else the project's file name and this runtime's framework.
    /// </summary>
    public static ProjectOutput Read(string projectPath)
    {
        string? assembly = null;
        string? framework = null;
        foreach (var file in PropertySources(projectPath))
        {
            assembly ??= Property(file, "AssemblyName");
            framework ??= Property(file, "TargetFramework") ?? Property(file, "TargetFrameworks")?.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        }

        return new ProjectOutput(
            assembly ?? Path.GetFileNameWithoutExtension(projectPath),
            framework ?? $"net{Environment.Version.Major}.{Environment.Version.Minor}");
    }

    private static IEnumerable<string> PropertySources(string projectPath)
    {
        yield return projectPath;
        for (var folder = Path.GetDirectoryName(projectPath); folder is not null; folder = Path.GetDirectoryName(folder))
        {
            var props = Path.Combine(folder, "Directory.Build.props");
            if (File.Exists(props))
            {
                yield return props;
            }
        }
    }

    /// <summary>The first plain value of the property in the file; null when absent, computed, or the file cannot be read.</summary>
    private static string? Property(string file, string name)
    {
        try
        {
            // Old-style projects put everything in the MSBuild namespace: match local names only.
            return XDocument.Load(file).Descendants()
                .Where(e => e.Name.LocalName == name && e.Parent?.Name.LocalName == "PropertyGroup")
                .Select(e => e.Value.Trim())
                .FirstOrDefault(v => v.Length > 0 && !v.Contains("$(", StringComparison.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or XmlException)
        {
            return null;
        }
    }
}
