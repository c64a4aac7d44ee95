using MeshDev.Authoring.Init;
using MeshDev.Catalog;
using MeshDev.Testing;

namespace MeshDev.Authoring.Tests.Init;

/// <summary>A solution made by the real templates, generated once for the class (see <see cref="GeneratedSolution"/>).</summary>
public sealed class GeneratedSolutionFixture : IAsyncLifetime
{
    public const int WebPort = 5191;
    public const int GreeterPort = 5192;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("meshdev-init-sln-").FullName;

    public Task InitializeAsync() => GeneratedSolution.CreateAsync(Directory, WebPort, GreeterPort);

    public Task DisposeAsync()
    {
        System.IO.Directory.Delete(Directory, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>init on a solution made with dotnet new web, grpc, classlib and sln: what a new user would run it on.</summary>
public sealed class GeneratedSolutionTests(GeneratedSolutionFixture solution) : IClassFixture<GeneratedSolutionFixture>
{
    // `dotnet sln add` keeps the order of a .sln and sorts a .slnx; init keeps the solution's order, so each block is checked alone.
    private const string Web = """
          web:
            project: Web/Web.csproj
            port: 5191
            env:
              ASPNETCORE_ENVIRONMENT: Development
            calls: [greeter]

        """;

    private const string Greeter = """
          greeter:
            project: Greeter/Greeter.csproj
            port: 5192
            env:
              ASPNETCORE_ENVIRONMENT: Development
            routes:
              grpc: [greet.Greeter]

        """;

    [Theory]
    [InlineData("App.slnx")]
    [InlineData("Classic.sln")]
    public void Web_and_grpc_projects_become_services_and_the_class_library_is_skipped(string solutionFile)
    {
        var manifestPath = Path.Combine(solution.Directory, "meshdev.yaml");

        var result = ManifestInit.Create(InitSources.Resolve([solutionFile], solution.Directory), manifestPath);

        Assert.Empty(result.Problems);
        Assert.Empty(result.Plan.Warnings.ToArray());
        Assert.Contains(Web.Replace("\r\n", "\n", StringComparison.Ordinal), result.Yaml + "\n", StringComparison.Ordinal);
        Assert.Contains(Greeter.Replace("\r\n", "\n", StringComparison.Ordinal), result.Yaml + "\n", StringComparison.Ordinal);
        var web = result.Plan.Services.Single(s => s.Name == "web");
        Assert.Contains("port 5191 from profile 'http' of Web/Properties/launchSettings.json", web.Reasons);
        Assert.Contains("calls greeter (services:greeter in Web/appsettings.json)", web.Reasons);
        Assert.Contains("routes.grpc greet.Greeter from Greeter/Protos/greet.proto", result.Plan.Services.Single(s => s.Name == "greeter").Reasons);
        var skipped = Assert.Single(result.Plan.Skipped);
        Assert.Equal(Path.Combine(solution.Directory, "Lib", "Lib.csproj"), skipped.ProjectPath);

        var manifest = ManifestLoader.Parse(result.Yaml, manifestPath);
        Assert.Equal(["greeter", "web"], manifest.Services.Select(s => s.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["greeter"], manifest.Services.Single(s => s.Name == "web").Calls.ToArray());
        Assert.Equal(Path.Combine(solution.Directory, "Greeter", "Greeter.csproj"), manifest.Services.Single(s => s.Name == "greeter").Project);
    }
}
