using MeshDev.Activation;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests;

/// <summary>
/// A <c>project:</c> service whose sources are edited is rebuilt into a new directory and replaced at the next call; a
/// broken edit keeps the running build serving and says why. Real project, real SDK builds, real edits.
/// </summary>
public sealed class RebuildOnChangeTests : IDisposable
{
    private readonly DirectoryInfo _sources = Directory.CreateTempSubdirectory("meshdev-rebuild-");

    public RebuildOnChangeTests()
    {
        File.WriteAllText(Project, WebProject.Csproj);
        WriteProgram("v1");
    }

    private string Project => Path.Combine(_sources.FullName, "Web.csproj");

    private string Program => Path.Combine(_sources.FullName, "Program.cs");

    public void Dispose() => _sources.Delete(recursive: true);

    [Fact]
    public async Task Edited_sources_are_rebuilt_into_a_new_directory_and_the_next_call_reaches_the_new_build()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Project("web", Project));
        var builds = Path.Combine(mesh.Directory, ".meshdev", "build", "web");

        Assert.Equal("v1", await mesh.GetStringAsync("web"));
        var first = mesh.Status("web").Endpoint;
        Assert.True(File.Exists(Path.Combine(builds, "1", "Web.dll")));

        await EditAsync(mesh, "v2");

        Assert.Equal("v2", await mesh.GetStringAsync("web"));
        var rebuilt = await mesh.WaitForChangeAsync("web", c => c.To == ServiceState.Ready && c.Detail.StartsWith("rebuilt", StringComparison.Ordinal), "ready after the rebuild");
        Assert.Equal(ServiceState.Starting, rebuilt.From);
        Assert.Contains(mesh.Changes("web"), c => c.From == ServiceState.Ready && c.To == ServiceState.Starting && c.Detail.Contains("sources changed", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(builds, "2", "Web.dll")));

        // port: auto: the new instance started beside the old one, on a port of its own.
        Assert.NotEqual(first, mesh.Status("web").Endpoint);
        Assert.Equal(2, mesh.Service("web").Launches);

        // Once the old instance is stopped its build is removed; the running one stays.
        await Eventually.UntilAsync(() => !Directory.Exists(Path.Combine(builds, "1")), "the first build directory to be pruned");
        Assert.Equal(["2"], Directory.GetFileSystemEntries(builds).Select(Path.GetFileName));
        Assert.Single(mesh.FindTaggedProcesses());
    }

    [Fact]
    public async Task A_broken_edit_keeps_the_running_build_serving_and_status_says_why()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Project("web", Project));
        Assert.Equal("v1", await mesh.GetStringAsync("web"));
        var pid = mesh.Service("web").ProcessId;

        await EditAsync(mesh, "this is not C#", raw: true);

        Assert.Equal("v1", await mesh.GetStringAsync("web"));
        var kept = await mesh.WaitForChangeAsync("web", c => c.Detail.StartsWith("rebuild failed: build of ", StringComparison.Ordinal), "the failed rebuild");
        Assert.Equal((ServiceState.Starting, ServiceState.Ready), (kept.From, kept.To));
        Assert.Contains("still serving the previous build", kept.Detail);
        var status = mesh.Status("web");
        Assert.Equal("ready", status.State);
        Assert.Contains("error CS", status.LastError);
        Assert.Equal(pid, mesh.Service("web").ProcessId);
        Assert.Equal(1, mesh.Service("web").Launches);

        // The failed build left no directory behind, and the fix is picked up at the next call.
        Assert.Equal(["1"], Directory.GetDirectories(Path.Combine(mesh.Directory, ".meshdev", "build", "web")).Select(Path.GetFileName));
        await EditAsync(mesh, "v2");
        Assert.Equal("v2", await mesh.GetStringAsync("web"));
    }

    [Fact]
    public async Task With_a_fixed_port_the_old_instance_stops_first_and_the_call_is_held_until_the_new_one_answers()
    {
        var port = 0;
        await using var mesh = await TestMesh.StartAsync(m => m.Project("web", Project, port = m.NewPort()));
        Assert.Equal("v1", await mesh.GetStringAsync("web"));
        var pid = mesh.Service("web").ProcessId;

        await EditAsync(mesh, "v2");

        Assert.Equal("v2", await mesh.GetStringAsync("web"));
        Assert.Equal($"127.0.0.1:{port}", mesh.Status("web").Endpoint);
        Assert.NotEqual(pid, mesh.Service("web").ProcessId);
        Assert.Single(mesh.FindTaggedProcesses());
    }

    [Fact]
    public async Task With_watch_the_edit_itself_rebuilds_and_replaces_the_running_instance_before_any_call()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Project("web", Project), watch: true);
        Assert.Equal("v1", await mesh.GetStringAsync("web"));
        var requests = mesh.Service("web").Requests;

        WriteProgram("v2");

        var rebuilt = await mesh.WaitForChangeAsync("web", c => c.To == ServiceState.Ready && c.Detail.StartsWith("rebuilt", StringComparison.Ordinal), "ready after the rebuild");
        Assert.Equal(ServiceState.Starting, rebuilt.From);
        Assert.Equal(requests, mesh.Service("web").Requests);
        Assert.Equal(2, mesh.Service("web").Launches);
        Assert.Equal("v2", await mesh.GetStringAsync("web"));
    }

    /// <summary>Rewrites Program.cs and waits until the mesh's watcher has seen it (the next call then rebuilds).</summary>
    private async Task EditAsync(TestMesh mesh, string version, bool raw = false)
    {
        if (raw)
        {
            await File.WriteAllTextAsync(Program, version);
        }
        else
        {
            WriteProgram(version);
        }

        await Eventually.UntilAsync(() => mesh.Service("web").SourcesChanged, "the edit of Program.cs to be noticed");
    }

    private void WriteProgram(string version) => File.WriteAllText(Program, $$"""
        var app = WebApplication.CreateBuilder(args).Build();
        app.MapGet("/", () => "{{version}}");
        app.MapGet("/healthz", () => "ok");
        app.Run();
        """);
}
