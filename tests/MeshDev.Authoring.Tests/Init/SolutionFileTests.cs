using MeshDev.Authoring.Init;

namespace MeshDev.Authoring.Tests.Init;

/// <summary>The projects of a classic .sln and of an .slnx, read from their text.</summary>
public sealed class SolutionFileTests : IDisposable
{
    private readonly InitWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public void Sln_lists_its_project_files_with_backslashes_resolved_and_solution_folders_left_out()
    {
        var path = _workspace.Write("App.sln", """

            Microsoft Visual Studio Solution File, Format Version 12.00
            Project("{2150E333-8FDC-42A3-9474-1A3956D46DE8}") = "src", "src", "{11111111-1111-1111-1111-111111111111}"
            EndProject
            Project("{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}") = "Orders.Api", "src\Orders.Api\Orders.Api.csproj", "{22222222-2222-2222-2222-222222222222}"
            EndProject
            Project("{9A19103F-16F7-4668-BE54-9A1E7A4F7556}") = "Shop", "Shop\Shop.fsproj", "{33333333-3333-3333-3333-333333333333}"
            EndProject
            Global
            EndGlobal
            """);

        Assert.Equal(
            [Path.Combine(_workspace.Directory, "src", "Orders.Api", "Orders.Api.csproj"), Path.Combine(_workspace.Directory, "Shop", "Shop.fsproj")],
            SolutionFile.ReadProjects(path));
    }

    [Fact]
    public void Slnx_lists_projects_at_any_depth_of_folders()
    {
        var path = _workspace.Write("App.slnx", """
            <Solution>
              <Folder Name="/src/">
                <Project Path="src/Web/Web.csproj" />
              </Folder>
              <Project Path="Greeter\Greeter.csproj" />
            </Solution>
            """);

        Assert.Equal(
            [Path.Combine(_workspace.Directory, "src", "Web", "Web.csproj"), Path.Combine(_workspace.Directory, "Greeter", "Greeter.csproj")],
            SolutionFile.ReadProjects(path));
    }

    [Fact]
    public void A_broken_slnx_is_one_sentence_with_its_line_and_column()
    {
        var path = _workspace.Write("App.slnx", "<Solution>\n  <Project Path=\"a.csproj\">\n</Solution>\n");

        var error = Assert.Throws<InitException>(() => SolutionFile.ReadProjects(path));

        Assert.StartsWith($"{path}:3:3: not a valid .slnx file: ", error.Message, StringComparison.Ordinal);
    }
}
