namespace MeshDev.IntegrationTests.Infrastructure;

/// <summary>The project file of a minimal ASP.NET Core app, for tests that give the mesh a real <c>project:</c> to build.</summary>
internal static class WebProject
{
    public const string Csproj = """
        <Project Sdk="Microsoft.NET.Sdk.Web">
          <PropertyGroup>
            <TargetFramework>net10.0</TargetFramework>
            <ImplicitUsings>enable</ImplicitUsings>
          </PropertyGroup>
        </Project>
        """;
}
