namespace MeshDev.IntegrationTests.Infrastructure;

/// <summary>Where the programs these tests run live, found from the test assembly's own output directory.</summary>
internal static class TestPaths
{
    private static readonly Lazy<string> TestService = new(LocateTestService);

    /// <summary>
    /// <c>…/tests/MeshDev.TestService/bin/&lt;Config&gt;/net10.0/MeshDev.TestService.dll</c>, the sibling of this project's
    /// <c>…/tests/MeshDev.IntegrationTests/bin/&lt;Config&gt;/net10.0/</c> (the project reference builds it alongside).
    /// </summary>
    public static string TestServiceDll => TestService.Value;

    /// <summary>The <c>meshdev</c> CLI, copied into the test output directory through the project reference.</summary>
    public static string MeshdevDll
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "meshdev.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"meshdev.dll is not in the test output directory {AppContext.BaseDirectory}", path);
        }
    }

    private static string LocateTestService()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = output.Name;
        var configuration = output.Parent!.Name;
        var tests = output.Parent.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Combine(tests, "MeshDev.TestService", "bin", configuration, framework, "MeshDev.TestService.dll");
        return File.Exists(dll)
            ? dll
            : throw new FileNotFoundException($"MeshDev.TestService.dll not found at {dll}; build tests/MeshDev.IntegrationTests (it builds the test service alongside)", dll);
    }
}
