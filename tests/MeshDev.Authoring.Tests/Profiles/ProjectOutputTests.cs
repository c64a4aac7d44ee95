using MeshDev.Authoring.Profiles;

namespace MeshDev.Authoring.Tests.Profiles;

/// <summary>Where the Debug build of a project puts its app, read from the project file and Directory.Build.props.</summary>
public sealed class ProjectOutputTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("meshdev-project-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void The_project_files_own_properties_are_used()
    {
        var project = Write("Orders/Orders.csproj", """
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <TargetFramework>net9.0</TargetFramework>
                <AssemblyName>Shop.Orders</AssemblyName>
              </PropertyGroup>
            </Project>
            """);

        var output = ProjectOutput.Read(project);

        Assert.Equal(new ProjectOutput("Shop.Orders", "net9.0"), output);
        Assert.Equal(Path.Combine(_directory, "Orders", "bin", "Debug", "net9.0", "Shop.Orders.dll"), output.AppPath(project));
    }

    [Fact]
    public void Several_target_frameworks_run_the_first_and_computed_values_are_looked_up_above()
    {
        Write("Directory.Build.props", "<Project><PropertyGroup><TargetFramework>net8.0</TargetFramework><AssemblyName>Shop.$(MSBuildProjectName)</AssemblyName></PropertyGroup></Project>");
        var multi = Write("Orders/Orders.csproj", "<Project><PropertyGroup><TargetFrameworks> net10.0;net8.0 </TargetFrameworks></PropertyGroup></Project>");
        var inherited = Write("Inventory/Inventory.csproj", "<Project><PropertyGroup><TargetFramework>$(SharedFramework)</TargetFramework></PropertyGroup></Project>");

        Assert.Equal(new ProjectOutput("Orders", "net10.0"), ProjectOutput.Read(multi));
        Assert.Equal(new ProjectOutput("Inventory", "net8.0"), ProjectOutput.Read(inherited));
    }

    [Fact]
    public void An_old_style_project_in_the_MSBuild_namespace_is_read_too()
    {
        var project = Write("Legacy/Legacy.csproj", """
            <Project ToolsVersion="15.0" xmlns="http://schemas.microsoft.com/developer/msbuild/2003">
              <PropertyGroup><AssemblyName>LegacyApp</AssemblyName><TargetFramework>net6.0</TargetFramework></PropertyGroup>
            </Project>
            """);

        Assert.Equal(new ProjectOutput("LegacyApp", "net6.0"), ProjectOutput.Read(project));
    }

    [Fact]
    public void A_project_that_says_nothing_or_cannot_be_read_gets_its_file_name_and_this_runtimes_framework()
    {
        var runtime = $"net{Environment.Version.Major}.{Environment.Version.Minor}";

        Assert.Equal(new ProjectOutput("Empty", runtime), ProjectOutput.Read(Write("Empty/Empty.csproj", "<Project />")));
        Assert.Equal(new ProjectOutput("Broken", runtime), ProjectOutput.Read(Write("Broken/Broken.csproj", "<Project")));
    }

    private string Write(string relative, string text)
    {
        var path = Path.Combine(_directory, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }
}
