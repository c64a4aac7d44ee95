using System.Threading.Channels;

namespace MeshDev.Runtime.Tests;

/// <summary>The watcher behind rebuild on change: a build's own output and the mesh's state never count as an edit.</summary>
public sealed class SourceWatcherTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly LogRecorder _log = new("web");

    public void Dispose()
    {
        _log.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Writes_to_bin_obj_dot_directories_and_the_state_directory_are_ignored_and_a_source_edit_is_reported()
    {
        var project = _dir.WriteFile("Web/Web.csproj", "<Project Sdk=\"Microsoft.NET.Sdk.Web\" />");
        foreach (var directory in (string[])["Web/obj", "Web/bin/Debug", "Web/.vs", "Web/state"])
        {
            Directory.CreateDirectory(_dir.Combine(directory));
        }

        var changes = Channel.CreateUnbounded<string?>();
        using var watcher = new SourceWatcher(project, _dir.Combine("Web", "state"), _log.Log, path => changes.Writer.TryWrite(path));

        _dir.WriteFile("Web/obj/project.assets.json", "{}");
        _dir.WriteFile("Web/bin/Debug/Web.dll", "");
        _dir.WriteFile("Web/.vs/settings", "");
        _dir.WriteFile("Web/state/build.stamp", "");
        var program = _dir.WriteFile("Web/Program.cs", "// v2");

        // One watcher reports in the order things happened: the first report is the source edit, or an ignored write leaked.
        var first = await changes.Reader.ReadAsync().AsTask().WaitAsync(Wait.Long);
        Assert.Equal(program, first);
    }

    [Fact]
    public async Task A_project_reference_added_while_watching_has_its_edits_reported()
    {
        var project = _dir.WriteFile("Web/Web.csproj", "<Project Sdk=\"Microsoft.NET.Sdk.Web\" />");
        _dir.WriteFile("Shared/Shared.csproj", "<Project Sdk=\"Microsoft.NET.Sdk\" />");
        var changes = Channel.CreateUnbounded<string?>();
        using var watcher = new SourceWatcher(project, null, _log.Log, path => changes.Writer.TryWrite(path));

        _dir.WriteFile("Web/Web.csproj", "<Project Sdk=\"Microsoft.NET.Sdk.Web\"><ItemGroup><ProjectReference Include=\"..\\Shared\\Shared.csproj\" /></ItemGroup></Project>");
        Assert.Equal(project, await changes.Reader.ReadAsync().AsTask().WaitAsync(Wait.Long));

        // The project file's change was handled (the new directory watched) before it was reported. Its write can be
        // seen before the reference is in it: then the library's directory is reported when its watcher is added,
        // which covers an edit made before that.
        var library = _dir.WriteFile("Shared/Banner.cs", "// v2");
        var shared = Path.GetDirectoryName(library);
        string? path;
        while ((path = await changes.Reader.ReadAsync().AsTask().WaitAsync(Wait.Long)) != library && path != shared)
        {
            // More events of the project file's write may come first; nothing else.
            Assert.Equal(project, path);
        }
    }
}
