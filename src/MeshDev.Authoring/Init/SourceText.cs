namespace MeshDev.Authoring.Init;

/// <summary>One C# or F# source file of a project and its text, read once for every search <c>init</c> makes in it.</summary>
internal sealed record SourceText(string Path, string Text)
{
    /// <summary>The files the SDK compiles by default: every .cs/.fs under the project's folder but bin, obj and hidden folders.</summary>
    public static IReadOnlyList<SourceText> ReadAll(string projectDirectory) =>
        [.. SourceTree.Files(projectDirectory, IsSource).Select(path => new SourceText(path, Read(path)))];

    /// <summary>The file's text, or empty when it cannot be read (a search then finds nothing there).</summary>
    public static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static bool IsSource(string path) =>
        path.EndsWith(".cs", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".fs", StringComparison.OrdinalIgnoreCase);
}
