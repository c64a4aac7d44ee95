namespace MeshDev.Authoring.Init;

/// <summary>
/// The projects <c>meshdev init</c> looks at and where they came from: a folder (every project under it), a
/// <c>.sln</c>/<c>.slnx</c> (the projects it lists) or project files named one by one.
/// </summary>
/// <param name="Description">What was read, for messages: <c>App.slnx</c>, <c>the folder src</c>, <c>2 projects</c>.</param>
/// <param name="Directory">The folder of the folder or solution given (the current one for projects), where the manifest goes by default.</param>
/// <param name="Projects">Absolute project paths, without repeats, in the order found.</param>
public sealed record InitSources(string Description, string Directory, IReadOnlyList<string> Projects)
{
    /// <summary>Resolves the paths given on the command line against <paramref name="currentDirectory"/>; none means that folder.</summary>
    /// <exception cref="InitException">A path does not exist, is not a folder, solution or project, or a folder is mixed with files.</exception>
    public static InitSources Resolve(IReadOnlyList<string> inputs, string currentDirectory)
    {
        var full = inputs.Count == 0 ? [currentDirectory] : inputs.Select(input => Path.GetFullPath(input, currentDirectory)).ToList();
        if (full.Count == 1 && System.IO.Directory.Exists(full[0]))
        {
            var name = Path.GetRelativePath(currentDirectory, full[0]);
            return new InitSources(name == "." ? "this folder" : $"the folder {name}", full[0], [.. SourceTree.Files(full[0], ProjectFile.IsProjectPath)]);
        }

        foreach (var path in full)
        {
            if (System.IO.Directory.Exists(path))
            {
                throw new InitException($"{path} is a folder; pass one folder alone, or solutions and project files");
            }

            if (!File.Exists(path))
            {
                throw new InitException($"{path} does not exist; pass a folder, a .sln/.slnx solution or .csproj project files");
            }

            if (!IsSolution(path) && !ProjectFile.IsProjectPath(path))
            {
                throw new InitException($"{path} is not a solution (.sln, .slnx) or a project (.csproj, .fsproj, .vbproj); pass one of those or a folder");
            }
        }

        var projects = full.SelectMany(path => IsSolution(path) ? SolutionFile.ReadProjects(path) : [path]).Distinct(StringComparer.Ordinal).ToList();
        if (full.Count == 1 && IsSolution(full[0]))
        {
            return new InitSources(Path.GetFileName(full[0]), Path.GetDirectoryName(full[0])!, projects);
        }

        var description = full.Count == 1 ? Path.GetFileName(full[0]) : $"{full.Count} files";
        return new InitSources(description, currentDirectory, projects);
    }

    private static bool IsSolution(string path) =>
        path.EndsWith(".sln", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".slnx", StringComparison.OrdinalIgnoreCase);
}
