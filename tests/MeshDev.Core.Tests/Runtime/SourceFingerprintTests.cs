namespace MeshDev.Runtime.Tests;

public sealed class SourceFingerprintTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _project;

    public SourceFingerprintTests()
    {
        _project = _dir.WriteFile("app/App.csproj", """
            <Project Sdk="Microsoft.NET.Sdk">
              <ItemGroup><ProjectReference Include="..\lib\Lib.csproj" /></ItemGroup>
            </Project>
            """);
        _dir.WriteFile("app/Program.cs", "class P { static void Main() { } }");
        _dir.WriteFile("lib/Lib.csproj", "<Project Sdk=\"Microsoft.NET.Sdk\" />");
        _dir.WriteFile("lib/Lib.cs", "class L { }");
    }

    public void Dispose() => _dir.Dispose();

    private string Compute() => SourceFingerprint.Compute(_project, _dir.Combine("app", "state"));

    [Fact]
    public void Same_sources_give_the_same_fingerprint()
    {
        Assert.Equal(Compute(), Compute());
    }

    [Fact]
    public void Touching_a_source_changes_it()
    {
        var before = Compute();
        File.SetLastWriteTimeUtc(_dir.Combine("app", "Program.cs"), DateTime.UtcNow.AddMinutes(1));

        Assert.NotEqual(before, Compute());
    }

    [Fact]
    public void A_new_file_changes_it()
    {
        var before = Compute();
        _dir.WriteFile("app/Sub/More.cs", "class M { }");

        Assert.NotEqual(before, Compute());
    }

    [Fact]
    public void A_change_in_a_referenced_project_changes_it()
    {
        var before = Compute();
        File.AppendAllText(_dir.Combine("lib", "Lib.cs"), "// edited");

        Assert.NotEqual(before, Compute());
    }

    [Fact]
    public void Build_output_hidden_directories_and_the_state_directory_do_not_count()
    {
        var before = Compute();
        _dir.WriteFile("app/bin/Debug/App.dll", "x");
        _dir.WriteFile("app/obj/project.assets.json", "x");
        _dir.WriteFile("app/.meshdev/build/app.stamp", "x");
        _dir.WriteFile("app/.git/index", "x");
        _dir.WriteFile("app/state/pids/app.pid", "x");
        _dir.WriteFile("lib/obj/x", "x");

        Assert.Equal(before, Compute());
    }
}
