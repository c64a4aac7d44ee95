namespace MeshDev.IntegrationTests.GrpcTests.Infrastructure;

/// <summary>Where the programs and scripts of the gRPC and TCP tests live, found from the test assembly's output directory.</summary>
internal static class GrpcTestPaths
{
    private static readonly Lazy<string> GrpcTestService = new(LocateGrpcTestService);
    private static readonly Lazy<string> Root = new(LocateRepositoryRoot);

    /// <summary>
    /// <c>…/tests/MeshDev.GrpcTestService/bin/&lt;Config&gt;/net10.0/MeshDev.GrpcTestService.dll</c>, the sibling of this
    /// project's output directory (the project reference builds it alongside).
    /// </summary>
    public static string GrpcTestServiceDll => GrpcTestService.Value;

    /// <summary>The repository's root: the nearest folder above the test output that holds <c>MeshDev.sln</c>.</summary>
    public static string RepositoryRoot => Root.Value;

    /// <summary><c>tests/js/echo-client.js</c>, the @grpc/grpc-js client (its packages installed by devtools/setup.sh).</summary>
    public static string EchoClientJs => Path.Combine(RepositoryRoot, "tests", "js", "echo-client.js");

    /// <summary>The TCP echo server (<c>python3 tcp_echo.py PORT</c>), copied into the test output directory.</summary>
    public static string TcpEchoScript
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "TcpEcho", "tcp_echo.py");
            return File.Exists(path) ? path : throw new FileNotFoundException($"tcp_echo.py is not in the test output directory {AppContext.BaseDirectory}", path);
        }
    }

    private static string LocateGrpcTestService()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = output.Name;
        var configuration = output.Parent!.Name;
        var tests = output.Parent.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Combine(tests, "MeshDev.GrpcTestService", "bin", configuration, framework, "MeshDev.GrpcTestService.dll");
        return File.Exists(dll)
            ? dll
            : throw new FileNotFoundException($"MeshDev.GrpcTestService.dll not found at {dll}; build tests/MeshDev.IntegrationTests (it builds the gRPC test service alongside)", dll);
    }

    private static string LocateRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "MeshDev.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no folder above {AppContext.BaseDirectory} holds MeshDev.sln");
    }
}
