using System.Globalization;
using System.Text;
using MeshDev.Authoring.Init;
using MeshDev.Catalog;

namespace MeshDev.Authoring.Tests.Init;

/// <summary>
/// init on a 50-project solution written directly (project file, launch profile, Program.cs each), as the issue's
/// scale case; its speed is measured by hand (README), not asserted.
/// </summary>
public sealed class LargeSolutionTests : IDisposable
{
    private const int Count = 50;

    private readonly InitWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    /// <summary>Service{i} calls Service{i+1} by its discovery key; every project has a port of its own.</summary>
    internal static void Generate(InitWorkspace workspace)
    {
        var solution = new StringBuilder("<Solution>\n");
        for (var i = 0; i < Count; i++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"Service{i:00}");
            workspace.WebProject(name);
            workspace.LaunchSettings(name, 6000 + i);
            var next = string.Create(CultureInfo.InvariantCulture, $"service{(i + 1) % Count:00}");
            workspace.Write($"{name}/Program.cs", $$"""
                var builder = WebApplication.CreateBuilder(args);
                builder.Services.AddHttpClient("next", c => c.BaseAddress = new Uri(builder.Configuration["services:{{next}}:http:0"]!));
                var app = builder.Build();
                app.MapGet("/", () => "{{name}}");
                app.Run();
                """);
            solution.Append(CultureInfo.InvariantCulture, $"  <Project Path=\"{name}/{name}.csproj\" />\n");
        }

        workspace.Write("Large.slnx", solution.Append("</Solution>\n").ToString());
    }

    [Fact]
    public void Fifty_projects_give_fifty_services_that_load()
    {
        Generate(_workspace);

        var result = _workspace.Init("Large.slnx");

        Assert.Empty(result.Problems);
        Assert.Equal(Count, result.Plan.Services.Length);
        var manifest = ManifestLoader.Parse(result.Yaml, _workspace.ManifestPath);
        Assert.Equal(Count, manifest.Services.Length);
        Assert.Equal(6049, manifest.Services[^1].Port);
        Assert.Equal(["service00"], manifest.Services[^1].Calls.ToArray());
    }
}
