namespace MeshDev.Testing.Docker;

/// <summary>Where the repository's files are, found from the test assembly's output directory.</summary>
internal static class RepositoryPaths
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The folder holding <c>MeshDev.sln</c>.</summary>
    public static string Root => RootPath.Value;

    /// <summary><c>tests/MeshDev.ContainerService</c>, the NativeAOT service of the dotnet-aot image.</summary>
    public static string ContainerService => Path.Combine(Root, "tests", "MeshDev.ContainerService");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "MeshDev.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no folder above {AppContext.BaseDirectory} holds MeshDev.sln; run the tests from the repository's build output");
    }
}
