using System.Diagnostics;
using System.Text.Json;

namespace MeshDev.IntegrationTests.Infrastructure;

/// <summary>
/// Runs the real <c>meshdev</c> CLI (<c>dotnet meshdev.dll …</c>) as its own process, in a temp directory holding the
/// test's manifest, with the test's tag in its environment (a detached daemon and what it launches inherit it).
/// Disposal runs <c>meshdev down</c> if a mesh may still run, kills whatever still carries the tag and deletes the directory.
/// </summary>
internal sealed class MeshdevCli : IAsyncDisposable
{
    public MeshdevCli()
    {
        Tag = TaggedProcesses.NewTag();
        Directory = System.IO.Directory.CreateTempSubdirectory("meshdev-cli-it-").FullName;
    }

    public string Tag { get; }

    public string Directory { get; }

    public string StateDirectory => Path.Combine(Directory, ".meshdev");

    public string DaemonFile => Path.Combine(StateDirectory, "daemon.json");

    /// <summary>A <c>meshdev</c> executable to run instead of <c>dotnet meshdev.dll</c> (e.g. the installed .NET tool).</summary>
    public string? Executable { get; set; }

    /// <summary>Where the CLI runs, when not in <see cref="Directory"/> (a folder under it: a project's folder).</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>Extra environment variables for every run.</summary>
    public Dictionary<string, string> ExtraEnvironment { get; } = [];

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}{Environment.NewLine}stdout:{Environment.NewLine}{Stdout}{Environment.NewLine}stderr:{Environment.NewLine}{Stderr}";
    }

    /// <summary>Writes <paramref name="yaml"/> as <c>meshdev.yaml</c> in the directory; returns its path.</summary>
    public string WriteManifest(string yaml, string name = "meshdev.yaml")
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>Runs <c>meshdev args…</c> in the directory and waits for it to exit.</summary>
    public async Task<Result> RunAsync(params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"meshdev {string.Join(' ', args)} did not exit");
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts <c>meshdev args…</c> that keeps running (<c>status --watch</c>, <c>events</c>, <c>logs -f</c>); its lines can be read as they come.</summary>
    public RunningMeshdev Start(params string[] args) => new(Process.Start(StartInfo(args))!, string.Join(' ', args));

    private ProcessStartInfo StartInfo(string[] args)
    {
        var start = new ProcessStartInfo(Executable ?? "dotnet")
        {
            UseShellExecute = false,
            WorkingDirectory = WorkingDirectory ?? Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (Executable is null)
        {
            start.ArgumentList.Add(TestPaths.MeshdevDll);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment[TaggedProcesses.Variable] = Tag;
        start.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in ExtraEnvironment)
        {
            start.Environment[name] = value;
        }

        return start;
    }

    /// <summary>Runs <paramref name="args"/> and asserts exit code 0.</summary>
    public async Task<Result> RunOkAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == 0, $"meshdev {string.Join(' ', args)}: {result}");
        return result;
    }

    /// <summary><c>meshdev status --json</c>, parsed.</summary>
    public async Task<JsonElement> StatusAsync()
    {
        var result = await RunOkAsync("status", "--json");
        return JsonDocument.Parse(result.Stdout).RootElement.Clone();
    }

    public static JsonElement ServiceIn(JsonElement status, string name) =>
        status.GetProperty("services").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);

    /// <summary>The daemon's pid from <c>.meshdev/daemon.json</c>.</summary>
    public int DaemonPid() => JsonDocument.Parse(File.ReadAllText(DaemonFile)).RootElement.GetProperty("pid").GetInt32();

    public IReadOnlyList<TaggedProcess> FindTaggedProcesses() => TaggedProcesses.Find(Tag);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (File.Exists(DaemonFile) || TaggedProcesses.Find(Tag).Count > 0)
            {
                await RunAsync("down");
            }
        }
        finally
        {
            TaggedProcesses.KillAll(Tag);
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }
}
