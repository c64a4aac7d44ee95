namespace MeshDev.Authoring.Compose;

/// <summary>
/// What an import reads besides the compose text: environment variables (for <c>${VAR}</c>) and the files the compose
/// file names (<c>env_file</c>, <c>.env</c>). Injected so the importer itself stays a pure function of its inputs.
/// </summary>
public sealed class ComposeSources(Func<string, string?> variable, Func<string, string?> readFile)
{
    /// <summary>The process environment and the file system.</summary>
    public static ComposeSources System { get; } = new(Environment.GetEnvironmentVariable, ReadFileIfExists);

    /// <summary>The value of an environment variable; null when it is not set.</summary>
    public string? Variable(string name) => variable(name);

    /// <summary>The text of a file; null when it does not exist.</summary>
    /// <exception cref="IOException">The file exists but cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file exists but cannot be read.</exception>
    public string? ReadFile(string path) => readFile(path);

    private static string? ReadFileIfExists(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }
}
