using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace MeshDev.Authoring.Init;

/// <summary>
/// The projects a solution lists, read from its text (no MSBuild): <c>.slnx</c> is XML (<c>&lt;Project Path="…"/&gt;</c>
/// at any depth of folders), <c>.sln</c> the classic <c>Project("{type}") = "Name", "dir\x.csproj", "{id}"</c> lines.
/// </summary>
internal static partial class SolutionFile
{
    /// <summary>The absolute paths of the .NET projects of <paramref name="path"/>, in solution order.</summary>
    /// <exception cref="InitException">The file cannot be read or is not a solution.</exception>
    public static IReadOnlyList<string> ReadProjects(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InitException($"cannot read {path}: {e.Message}");
        }

        var relative = path.EndsWith(".slnx", StringComparison.OrdinalIgnoreCase) ? FromSlnx(path, text) : FromSln(text);
        var directory = Path.GetDirectoryName(path)!;

        // Both formats may write Windows separators; a solution folder entry names no project file and is left out.
        return [.. relative
            .Where(ProjectFile.IsProjectPath)
            .Select(p => Path.GetFullPath(Path.Combine(directory, p.Replace('\\', Path.DirectorySeparatorChar))))
            .Distinct(StringComparer.Ordinal)];
    }

    private static IEnumerable<string> FromSlnx(string path, string text)
    {
        XDocument document;
        try
        {
            document = XDocument.Parse(text);
        }
        catch (XmlException e)
        {
            throw new InitException($"{path}:{e.LineNumber}:{e.LinePosition}: not a valid .slnx file: {e.Message}");
        }

        return document.Descendants()
            .Where(e => e.Name.LocalName == "Project")
            .Select(e => (string?)e.Attribute("Path"))
            .OfType<string>();
    }

    private static IEnumerable<string> FromSln(string text) =>
        SlnProjectLine().Matches(text).Select(m => m.Groups["path"].Value);

    [GeneratedRegex("""^\s*Project\("\{[^}]*\}"\)\s*=\s*"[^"]*"\s*,\s*"(?<path>[^"]+)"\s*,""", RegexOptions.Multiline)]
    private static partial Regex SlnProjectLine();
}
