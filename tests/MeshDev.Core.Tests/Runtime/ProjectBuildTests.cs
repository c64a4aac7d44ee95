using System.Collections.Immutable;
using MeshDev.Catalog;
using MeshDev.Testing;

namespace MeshDev.Runtime.Tests;

/// <summary>The .NET shorthand end to end: a real web project written by hand, built with the real SDK, run and probed.</summary>
public sealed class ProjectBuildTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly LogRecorder _log = new("web");
    private readonly string _project;
    private readonly string _program;

    public ProjectBuildTests()
    {
        _project = _dir.WriteFile("src/Web/Web.csproj", """
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
            </Project>
            """);
        _program = WriteProgram("v1");
    }

    private string StateDirectory => _dir.Combine(".meshdev");

    private ServiceSpec Service => new()
    {
        Name = "web",
        Project = _project,
        WorkingDir = _dir.Path,
        Env = ImmutableDictionary<string, string>.Empty.Add("GREETING", "hi-${PORT}"),
    };

    public void Dispose()
    {
        _log.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Builds_once_skips_unchanged_sources_rebuilds_after_an_edit_and_runs_the_app()
    {
        using var runtime = new ProcessRuntime(StateDirectory);

        // Two launches racing to prepare share one build.
        await Task.WhenAll(
            runtime.PrepareAsync(Service, _log.Log, CancellationToken.None),
            runtime.PrepareAsync(Service, _log.Log, CancellationToken.None)).WaitAsync(Wait.Build);
        Assert.Equal(1, runtime.BuildCount);
        Assert.True(File.Exists(_dir.Combine(".meshdev", "build", "web", "1", "Web.dll")));
        Assert.True(File.Exists(_dir.Combine(".meshdev", "build", "web.stamp")));

        await runtime.PrepareAsync(Service, _log.Log, CancellationToken.None).WaitAsync(Wait.Build);
        Assert.Equal(1, runtime.BuildCount);
        Assert.Contains("Web.csproj is unchanged, build skipped", _log.Lines);

        Assert.Equal("v1 Development hi", await RunAndGetAsync(runtime));

        WriteProgram("v2");
        File.SetLastWriteTimeUtc(_program, DateTime.UtcNow.AddMinutes(1));
        await runtime.PrepareAsync(Service, _log.Log, CancellationToken.None).WaitAsync(Wait.Build);
        Assert.Equal(2, runtime.BuildCount);

        // Each build has a directory of its own; with no instance running from the first, only the newest is kept.
        Assert.Equal(["2"], Directory.GetFileSystemEntries(_dir.Combine(".meshdev", "build", "web")).Select(Path.GetFileName));

        // StartAsync without PrepareAsync first prepares on its own (here: finds the build current).
        Assert.Equal("v2 Development hi", await RunAndGetAsync(runtime));
        Assert.Equal(2, runtime.BuildCount);

        // The stamp lives in the state directory: a new runtime (daemon restart) does not rebuild either.
        using var restarted = new ProcessRuntime(StateDirectory);
        await restarted.PrepareAsync(Service, _log.Log, CancellationToken.None).WaitAsync(Wait.Build);
        Assert.Equal(0, restarted.BuildCount);
    }

    [Fact]
    public async Task Failed_build_is_a_launch_exception_naming_the_project_and_the_error()
    {
        using var runtime = new ProcessRuntime(StateDirectory);
        File.WriteAllText(_program, "this is not C#");

        var error = await Assert.ThrowsAsync<LaunchException>(() => runtime.PrepareAsync(Service, _log.Log, CancellationToken.None).WaitAsync(Wait.Build));

        Assert.StartsWith($"build of {_project} failed: ", error.Message);
        Assert.Contains("error CS", error.Message);
        Assert.False(File.Exists(_dir.Combine(".meshdev", "build", "web.stamp")));
    }

    [Fact]
    public async Task Projects_asked_for_together_build_in_one_run_and_a_failure_stays_with_its_own_project()
    {
        _dir.WriteFile("src/Lib/Lib.csproj", """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
            </Project>
            """);
        _dir.WriteFile("src/Lib/Greeting.cs", "public static class Greeting { public const string Text = \"shared\"; }");
        File.WriteAllText(_project, File.ReadAllText(_project).Replace("</Project>", "  <ItemGroup><ProjectReference Include=\"../Lib/Lib.csproj\" /></ItemGroup>\n</Project>", StringComparison.Ordinal));
        var bad = _dir.WriteFile("src/Bad/Bad.csproj", File.ReadAllText(_project));
        _dir.WriteFile("src/Bad/Program.cs", "this is not C#");
        var badService = Service with { Name = "bad", Project = bad };
        using var badLog = new LogRecorder("bad");
        using var runtime = new ProcessRuntime(StateDirectory);
        IReadOnlyList<string>? building = null;

        var result = await runtime.PrebuildAsync([(Service, _log.Log), (badService, badLog.Log)], names => building = names).WaitAsync(Wait.Build);

        Assert.Equal(["web", "bad"], building);
        Assert.Equal(["web"], result.Built);
        var (failed, cause) = Assert.Single(result.Failed);
        Assert.Equal("bad", failed);
        Assert.StartsWith($"build of {bad} failed: ", cause);
        Assert.Contains("error CS", cause);
        Assert.True(File.Exists(_dir.Combine(".meshdev", "build", "web", "1", "Lib.dll")));
        Assert.Contains(ProjectBuilder.BuildingNote, _log.Lines);

        // The failure's lines went to the failed service's log, not to the one that built.
        var errorLines = badLog.Lines.Where(l => l.Contains("error CS", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(errorLines);
        Assert.Equal(errorLines.Distinct().Count(), errorLines.Length); // once each: not again from MSBuild's summary
        Assert.DoesNotContain(_log.Lines, l => l.Contains("error CS", StringComparison.Ordinal));

        // Asked again, the built one is current and the failed one is tried again.
        var again = await runtime.PrebuildAsync([(Service, _log.Log), (badService, badLog.Log)]).WaitAsync(Wait.Build);
        Assert.Equal(["web"], again.Current);
        Assert.Equal("bad", Assert.Single(again.Failed).Service);
        Assert.Equal("v1 Development hi", await RunAndGetAsync(runtime));
    }

    [Fact]
    public async Task A_failed_restore_is_the_launch_failure_naming_the_package_not_the_generated_build_file()
    {
        // An empty local feed: the package is missing without asking any server.
        var feed = Directory.CreateDirectory(_dir.Combine("feed")).FullName;
        File.WriteAllText(_project, File.ReadAllText(_project).Replace(
            "</Project>",
            $"  <PropertyGroup><RestoreSources>{feed}</RestoreSources></PropertyGroup>\n  <ItemGroup><PackageReference Include=\"MeshDev.NoSuchPackage\" Version=\"1.0.0\" /></ItemGroup>\n</Project>",
            StringComparison.Ordinal));
        using var runtime = new ProcessRuntime(StateDirectory);

        var error = await Assert.ThrowsAsync<LaunchException>(() => runtime.PrepareAsync(Service, _log.Log, CancellationToken.None).WaitAsync(Wait.Build));

        Assert.StartsWith($"build of {_project} failed: {_project} : error NU1101: ", error.Message);
        Assert.Contains("MeshDev.NoSuchPackage", error.Message);
        Assert.DoesNotContain(".proj]", error.Message);
        Assert.Contains(_log.Lines, l => l.Contains("error NU1101", StringComparison.Ordinal) && !l.Contains(".proj]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_restore_that_fails_without_a_word_says_how_to_see_the_cause()
    {
        // No TargetFramework, as in a project copied away from the Directory.Build.props that set it: NuGet's restore of
        // the batch fails with MSB4181 alone.
        File.WriteAllText(_project, File.ReadAllText(_project).Replace("<TargetFramework>net10.0</TargetFramework>", "", StringComparison.Ordinal));
        using var runtime = new ProcessRuntime(StateDirectory);

        var error = await Assert.ThrowsAsync<LaunchException>(() => runtime.PrepareAsync(Service, _log.Log, CancellationToken.None).WaitAsync(Wait.Build));

        Assert.StartsWith($"build of {_project} failed: ", error.Message);
        Assert.Contains("error MSB4181: The \"RestoreTask\" task returned false but did not log an error.", error.Message);
        Assert.EndsWith(
            $"; the restore failed without naming the cause: 'dotnet restore {_project}' shows it (a project copied out of its " +
            "repository often misses the Directory.Build.props or Directory.Packages.props that was above it)",
            error.Message);
    }

    [Fact]
    public async Task A_project_the_IDE_just_built_is_not_compiled_again()
    {
        // The IDE's (or ./meshdev's) build: plain dotnet build, into the project's own bin and obj.
        using (var ide = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(ProjectBuilder.Dotnet, ["build", _project, "--nologo", "-v", "q"]) { RedirectStandardOutput = true })!)
        {
            await ide.StandardOutput.ReadToEndAsync();
            await ide.WaitForExitAsync().WaitAsync(Wait.Build);
            Assert.Equal(0, ide.ExitCode);
        }

        var compiled = _dir.Combine("src", "Web", "obj", "Debug", "net10.0", "Web.dll");
        var before = File.GetLastWriteTimeUtc(compiled);
        using var runtime = new ProcessRuntime(StateDirectory);

        await runtime.PrepareAsync(Service, _log.Log, CancellationToken.None).WaitAsync(Wait.Build);

        Assert.Equal(1, runtime.BuildCount);
        Assert.Equal(before, File.GetLastWriteTimeUtc(compiled));
        Assert.True(File.Exists(_dir.Combine(".meshdev", "build", "web", "1", "Web.dll")));
    }

    [Fact]
    public async Task A_runtime_that_stops_during_a_build_leaves_no_build_running()
    {
        var runtime = new ProcessRuntime(StateDirectory);
        var buildRoot = _dir.Combine(".meshdev", "build");
        var prebuild = runtime.PrebuildAsync([(Service, _log.Log)]);
        await Wait.UntilAsync(() => BuildProcesses(buildRoot).Length > 0, "the build runs");

        runtime.Dispose();

        await Wait.UntilAsync(() => BuildProcesses(buildRoot).Length == 0, "no build process of the runtime is left");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => prebuild.WaitAsync(Wait.Long));
    }

    // The `dotnet build` processes of a batch: their command line names the traversal project in the build root.
    private static int[] BuildProcesses(string buildRoot) => [.. Directory.GetDirectories("/proc")
        .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
        .Where(pid => pid > 0 && ReadCommandLine(pid).Contains(buildRoot + "/build-", StringComparison.Ordinal))];

    private static string ReadCommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    [Fact]
    public async Task Missing_project_is_a_launch_exception()
    {
        using var runtime = new ProcessRuntime(StateDirectory);
        var service = Service with { Project = _dir.Combine("nope", "Nope.csproj") };

        var error = await Assert.ThrowsAsync<LaunchException>(() => runtime.PrepareAsync(service, _log.Log, CancellationToken.None));

        Assert.Equal($"project '{service.Project}' not found", error.Message);
    }

    [Fact]
    public void Errors_are_the_distinct_error_lines_stripped_of_the_project_suffix()
    {
        string[] output =
        [
            "  Determining projects to restore...",
            "/src/Web/Program.cs(1,6): error CS1002: ; expected [/src/Web/Web.csproj]",
            "/src/Web/Program.cs(2,1): error CS1022: Type or namespace definition expected [/src/Web/Web.csproj]",
            "/src/Web/Program.cs(1,6): error CS1002: ; expected [/src/Web/Web.csproj]",
            "    1 Error(s)",
        ];

        Assert.Equal(
            ["/src/Web/Program.cs(1,6): error CS1002: ; expected", "/src/Web/Program.cs(2,1): error CS1022: Type or namespace definition expected"],
            ProjectBuilder.Errors(output));
        Assert.Equal(["something odd"], ProjectBuilder.Errors(["something odd", ""]));
        Assert.Empty(ProjectBuilder.Errors([]));
    }

    [Fact]
    public void App_is_the_one_named_after_the_project_else_the_only_one()
    {
        var output = _dir.Combine("out");
        _dir.WriteFile("out/Other.runtimeconfig.json", "{}");
        _dir.WriteFile("out/Other.dll", "");
        Assert.Equal(Path.Combine(output, "Other.dll"), ProjectBuilder.FindApp(output, _project));

        _dir.WriteFile("out/Web.runtimeconfig.json", "{}");
        _dir.WriteFile("out/Web.dll", "");
        Assert.Equal(Path.Combine(output, "Web.dll"), ProjectBuilder.FindApp(output, _project));

        Assert.Null(ProjectBuilder.FindApp(_dir.Combine("missing"), _project));
    }

    private async Task<string> RunAndGetAsync(ProcessRuntime runtime)
    {
        var port = TestPorts.Free();
        await using var instance = await runtime.StartAsync(Services.Request(Service, _log, port), CancellationToken.None);
        var probe = new HttpReadinessProbe("/healthz");
        using var limit = new CancellationTokenSource(Wait.Long);
        while (!await probe.ProbeAsync(instance.Endpoint, limit.Token))
        {
            Assert.False(instance.Exited.IsCompleted, $"the app exited: {string.Join('\n', _log.Lines)}");
            await Task.Delay(20, limit.Token);
        }

        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var body = await client.GetStringAsync(new Uri(instance.Endpoint.HttpUri, "/healthz"), limit.Token);
        await instance.StopAsync(TimeSpan.FromSeconds(10), limit.Token);
        return body;
    }

    private string WriteProgram(string version) => _dir.WriteFile("src/Web/Program.cs", $$"""
        var app = WebApplication.CreateBuilder(args).Build();
        app.MapGet("/healthz", () => $"{{version}} {app.Environment.EnvironmentName} {Environment.GetEnvironmentVariable("GREETING")?.Split('-')[0]}");
        app.Run();
        """);
}
