using MeshDev.Authoring.Init;

namespace MeshDev.Authoring.Tests.Init;

/// <summary>A temporary folder of project files written by a test, init run on it, and deleted afterwards.</summary>
internal sealed class InitWorkspace : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("meshdev-init-").FullName;

    public string ManifestPath => Path.Combine(Directory, "meshdev.yaml");

    /// <summary>Writes <paramref name="text"/> at <paramref name="relativePath"/> (forward slashes), creating folders; returns the full path.</summary>
    public string Write(string relativePath, string text)
    {
        var path = Path.Combine(Directory, relativePath);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A Web SDK project <c>{name}/{name}.csproj</c> with <paramref name="items"/> inside its Project element.</summary>
    public string WebProject(string name, string items = "") =>
        Write($"{name}/{name}.csproj", $"<Project Sdk=\"Microsoft.NET.Sdk.Web\">\n  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>\n{items}</Project>\n");

    /// <summary>A <c>Properties/launchSettings.json</c> as <c>dotnet new web</c> writes it, with an http and an https profile on <paramref name="port"/>.</summary>
    public void LaunchSettings(string name, int port, string environment = "\"ASPNETCORE_ENVIRONMENT\": \"Development\"") =>
        Write($"{name}/Properties/launchSettings.json", $$"""
            {
              "$schema": "https://json.schemastore.org/launchsettings.json",
              "profiles": {
                "http": {
                  "commandName": "Project",
                  "applicationUrl": "http://localhost:{{port}}",
                  "environmentVariables": { {{environment}} }
                },
                "https": {
                  "commandName": "Project",
                  "applicationUrl": "https://localhost:7{{port % 1000:000}};http://localhost:{{port}}",
                  "environmentVariables": { "ASPNETCORE_ENVIRONMENT": "Development" }
                }
              }
            }
            """);

    /// <summary>Plans, writes and validates the manifest for <paramref name="inputs"/> (relative to the folder; none = the folder).</summary>
    public InitResult Init(params string[] inputs) =>
        ManifestInit.Create(InitSources.Resolve(inputs, Directory), ManifestPath);

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
