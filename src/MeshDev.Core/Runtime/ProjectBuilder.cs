using System.Diagnostics;
using System.Globalization;
using MeshDev.Catalog;

namespace MeshDev.Runtime;

/// <summary>The output of a project build: where it went and the app to run with <c>dotnet</c>.</summary>
internal sealed record ProjectBuild(string OutputDirectory, string AppPath)
{
    /// <summary>True when the sources were unchanged and no build ran.</summary>
    public bool Skipped { get; init; }
}

/// <summary>What one <see cref="ProjectBuilder.BuildAllAsync"/> did: the services built, found current, and failed (with why).</summary>
public sealed record PrebuildResult(IReadOnlyList<string> Built, IReadOnlyList<string> Current, IReadOnlyList<(string Service, string Cause)> Failed, TimeSpan Elapsed);

/// <summary>
/// Builds the .NET projects of <c>project:</c> services, once per change of their sources: concurrent requests for one
/// service share one build, unchanged sources skip the build entirely, and the projects asked for together build in one
/// MSBuild run (<see cref="MsBuildBatch"/>), in parallel. MSBuild builds each project into its own <c>bin</c>, as the
/// IDE does; its app is then copied into a new directory of the state directory per build, so an instance still runs
/// from its own files while the next is built; <see cref="Prune"/> removes the rest.
/// </summary>
internal sealed class ProjectBuilder(string buildRoot, string? stateDirectory, TimeProvider time) : IDisposable
{
    private const string RuntimeConfigSuffix = ".runtimeconfig.json";

    /// <summary>What a launch says while its project builds (a "meshdev: " line is the launch's progress note).</summary>
    public const string BuildingNote = "meshdev: building (dotnet build)";

    private static readonly Lazy<string?> DotnetHost = new(FindDotnet);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, PendingBuild> _inFlight = new(StringComparer.OrdinalIgnoreCase);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly HashSet<Process> _running = [];
    private int _buildCount;

    /// <summary>How many builds actually ran (not skipped); for tests and diagnostics.</summary>
    public int BuildCount => Volatile.Read(ref _buildCount);

    /// <summary>The <c>dotnet</c> host that builds and runs projects.</summary>
    public static string Dotnet => DotnetHost.Value ?? throw new LaunchException("the .NET SDK ('dotnet') is not on PATH; install it or run the service with 'command:'");

    /// <summary>Builds the service's project unless its sources are unchanged since the last successful build. Joins a build already running for the service.</summary>
    public Task<ProjectBuild> EnsureBuiltAsync(ServiceSpec service, ServiceLog log, CancellationToken cancellationToken) =>
        Start([(service, log)])[0].WaitAsync(cancellationToken);

    /// <summary>
    /// Builds every service's project whose sources changed, all in one MSBuild run (joining builds already under way),
    /// and says what became of each. Never throws for a failed build: the failure is in the result, and reaches the
    /// service's callers again when they launch it.
    /// </summary>
    /// <param name="building">Told the services whose projects are built now (their sources changed), before the build starts.</param>
    public async Task<PrebuildResult> BuildAllAsync(IReadOnlyList<(ServiceSpec Service, ServiceLog Log)> services, Action<IReadOnlyList<string>>? building = null)
    {
        var started = time.GetTimestamp();
        var builds = Start(services, building);
        List<string> built = [], current = [];
        List<(string, string)> failed = [];
        for (var i = 0; i < services.Count; i++)
        {
            try
            {
                var build = await builds[i].ConfigureAwait(false);
                (build.Skipped ? current : built).Add(services[i].Service.Name);
            }
            catch (Exception ex) when (ex is LaunchException or IOException or UnauthorizedAccessException)
            {
                failed.Add((services[i].Service.Name, ex.Message));
            }
        }

        return new PrebuildResult(built, current, failed, time.GetElapsedTime(started));
    }

    /// <summary>Cancels (kills) builds still running. The token source is not disposed: late callers still read its token.</summary>
    /// <remarks>
    /// The builds under way are killed here, synchronously: a mesh that stops right after must not leave one behind
    /// (the cancellation alone kills them only once their awaiting code runs, which a process on its way out may never do).
    /// </remarks>
    public void Dispose()
    {
        _lifetime.Cancel();
        Process[] running;
        lock (_running)
        {
            running = [.. _running];
        }

        foreach (var process in running)
        {
            MsBuildBatch.KillTree(process);
        }
    }

    /// <summary>The build task of each service: the one under way, else a new one; the new ones start as one batch.</summary>
    private Task<ProjectBuild>[] Start(IReadOnlyList<(ServiceSpec Service, ServiceLog Log)> services, Action<IReadOnlyList<string>>? building = null)
    {
        var tasks = new Task<ProjectBuild>[services.Count];
        var batch = new List<PendingBuild>();
        lock (_gate)
        {
            for (var i = 0; i < services.Count; i++)
            {
                var (service, log) = services[i];
                if (_inFlight.TryGetValue(service.Name, out var pending))
                {
                    // A launch that joins a build under way shows it as its own progress.
                    if (pending.Building)
                    {
                        log.Write(BuildingNote);
                    }
                }
                else
                {
                    pending = new PendingBuild(service, log);
                    _inFlight[service.Name] = pending;
                    batch.Add(pending);
                }

                tasks[i] = pending.Completion.Task;
            }
        }

        if (batch.Count > 0)
        {
            // The build belongs to no single caller: one caller giving up must not cancel it for the others.
            _ = Task.Run(() => BuildBatchAsync(batch, building, _lifetime.Token));
        }

        return tasks;
    }

    private async Task BuildBatchAsync(List<PendingBuild> batch, Action<IReadOnlyList<string>>? building, CancellationToken cancellationToken)
    {
        var toBuild = new List<PendingBuild>();
        foreach (var pending in batch)
        {
            try
            {
                if (FindCurrent(pending) is { } current)
                {
                    Complete(pending, current);
                }
                else
                {
                    toBuild.Add(pending);
                }
            }
            catch (Exception ex)
            {
                Fail(pending, ex);
            }
        }

        if (toBuild.Count == 0)
        {
            return;
        }

        try
        {
            building?.Invoke([.. toBuild.Select(p => p.Service.Name)]);
            await RunAsync(toBuild, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            foreach (var pending in toBuild)
            {
                Fail(pending, ex);
            }
        }
    }

    /// <summary>The build of the service's current sources when there is one already; null when it must be built.</summary>
    private ProjectBuild? FindCurrent(PendingBuild pending)
    {
        var project = pending.Service.Project!;
        if (!File.Exists(project))
        {
            throw new LaunchException($"project '{project}' not found");
        }

        pending.Fingerprint = SourceFingerprint.Compute(project, stateDirectory);
        var outputs = StateFiles.BuildOutputs(buildRoot, pending.Service.Name);
        if (ReadStamp(StateFiles.BuildStamp(buildRoot, pending.Service.Name)) is { } stamp && stamp.Fingerprint == pending.Fingerprint
            && FindApp(Path.Combine(outputs, stamp.Directory), project) is { } existing)
        {
            pending.Log.Write($"{Path.GetFileName(project)} is unchanged, build skipped");
            return new ProjectBuild(Path.Combine(outputs, stamp.Directory), existing) { Skipped = true };
        }

        return null;
    }

    private async Task RunAsync(List<PendingBuild> toBuild, CancellationToken cancellationToken)
    {
        var byProject = toBuild.GroupBy(p => Path.GetFullPath(p.Service.Project!), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var started = time.GetTimestamp();
        foreach (var pending in toBuild)
        {
            Interlocked.Increment(ref _buildCount);
            pending.Building = true;
            pending.Log.Write(BuildingNote);
            pending.Log.Write(toBuild.Count == 1
                ? $"building {pending.Service.Project}"
                : $"building {pending.Service.Project} (one build with {string.Join(", ", toBuild.Where(p => p != pending).Select(p => p.Service.Name))})");
        }

        var copies = new List<Task>();
        var batch = new MsBuildBatch([.. byProject.Keys], buildRoot);
        var exitCode = await batch.RunAsync(
            (project, targetDirectory) =>
            {
                if (byProject.TryGetValue(project, out var waiting))
                {
                    // Copying is file I/O: off the output reader, which must keep draining the build.
                    lock (copies)
                    {
                        copies.Add(Task.Run(() => Deliver(waiting, targetDirectory, started)));
                    }
                }
            },
            (project, line) =>
            {
                if (project is not null && byProject.TryGetValue(project, out var waiting))
                {
                    foreach (var pending in waiting)
                    {
                        pending.Remember(line, log: true);
                    }

                    return;
                }

                // About the whole build (restore, "X -> path", the summary): kept for a failure's cause, and in the logs
                // only when it is an error, which may be any project's.
                foreach (var pending in toBuild)
                {
                    pending.Remember(line, log: IsError(line));
                }
            },
            Track,
            time,
            cancellationToken).ConfigureAwait(false);

        Task[] delivering;
        lock (copies)
        {
            delivering = [.. copies];
        }

        await Task.WhenAll(delivering).ConfigureAwait(false);
        foreach (var pending in toBuild.Where(p => !p.Completion.Task.IsCompleted))
        {
            var cause = Errors(pending.Lines) is [var first, .. var more]
                ? more.Length == 0 ? first + SilentRestoreHint(first, pending.Service.Project!) : $"{first} (and {more.Length} more {(more.Length == 1 ? "error" : "errors")}; meshdev logs {pending.Service.Name})"
                : exitCode == 0 ? "the build reported no output for it" : $"dotnet build exited with code {exitCode}";
            Fail(pending, new LaunchException($"build of {pending.Service.Project} failed: {cause}"));
        }
    }

    /// <summary>Copies a built project's app into a new build directory of each service that runs it, and completes their builds.</summary>
    private void Deliver(List<PendingBuild> waiting, string targetDirectory, long started)
    {
        foreach (var pending in waiting)
        {
            try
            {
                var project = pending.Service.Project!;
                var output = NextOutput(StateFiles.BuildOutputs(buildRoot, pending.Service.Name));
                CopyDirectory(targetDirectory, output);
                if (FindApp(output, project) is not { } app)
                {
                    DeleteOutput(output);
                    throw new LaunchException($"{project} built, but {targetDirectory} holds no runnable app (no single *{RuntimeConfigSuffix}); is its OutputType Exe?");
                }

                // The stamp is written last: it only ever names a completed build.
                File.WriteAllText(StateFiles.BuildStamp(buildRoot, pending.Service.Name), $"{pending.Fingerprint}\n{Path.GetFileName(output)}\n");
                pending.Log.Write($"meshdev: built {Path.GetFileName(project)} in {time.GetElapsedTime(started).TotalSeconds:0.0} s (into {output})");
                Complete(pending, new ProjectBuild(output, app));
            }
            catch (Exception ex)
            {
                Fail(pending, ex);
            }
        }
    }

    // The build processes that run: Dispose kills them.
    private void Track(Process process, bool running)
    {
        lock (_running)
        {
            if (running)
            {
                _running.Add(process);
            }
            else
            {
                _running.Remove(process);
            }
        }
    }

    private void Complete(PendingBuild pending, ProjectBuild build)
    {
        Forget(pending);
        pending.Completion.TrySetResult(build);
    }

    private void Fail(PendingBuild pending, Exception ex)
    {
        if (pending.Building)
        {
            // Ends the "building" note: the cause itself reaches the callers with the launch's failure.
            pending.Log.Write("meshdev: build failed; its errors are in this log");
        }

        Forget(pending);
        pending.Completion.TrySetException(ex);
    }

    // Before the result is set: a caller that comes after the result sees no build under way and checks the stamp.
    private void Forget(PendingBuild pending)
    {
        lock (_gate)
        {
            if (_inFlight.TryGetValue(pending.Service.Name, out var current) && current == pending)
            {
                _inFlight.Remove(pending.Service.Name);
            }
        }
    }

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination, overwrite: true);
        }
    }

    /// <summary>
    /// Deletes the service's build directories but the newest complete one and those in <paramref name="inUse"/> (the
    /// running instances'), so builds do not pile up; also what an older layout left directly in the service's directory.
    /// </summary>
    public void Prune(string service, IReadOnlyCollection<string> inUse)
    {
        var outputs = StateFiles.BuildOutputs(buildRoot, service);
        if (!Directory.Exists(outputs))
        {
            return;
        }

        lock (_gate)
        {
            // A build under way writes into a directory newer than the stamp's: it is never pruned.
            if (_inFlight.ContainsKey(service))
            {
                return;
            }

            var newest = ReadStamp(StateFiles.BuildStamp(buildRoot, service))?.Directory;

            foreach (var entry in new DirectoryInfo(outputs).EnumerateFileSystemInfos())
            {
                var kept = entry.Name == newest || inUse.Any(path => string.Equals(Path.TrimEndingDirectorySeparator(path), entry.FullName, StringComparison.Ordinal));
                if (kept)
                {
                    continue;
                }

                if (entry is DirectoryInfo directory)
                {
                    DeleteOutput(directory.FullName);
                }
                else
                {
                    StateFiles.TryDelete(entry.FullName);
                }
            }
        }
    }

    /// <summary>A new numbered directory after the highest one there.</summary>
    private static string NextOutput(string outputs)
    {
        Directory.CreateDirectory(outputs);
        var highest = Directory.GetDirectories(outputs)
            .Select(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0)
            .DefaultIfEmpty(0)
            .Max();
        return Path.Combine(outputs, (highest + 1).ToString(CultureInfo.InvariantCulture));
    }

    private static void DeleteOutput(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next prune.
        }
    }

    /// <summary>The app in <paramref name="output"/>: the one whose runtimeconfig is named after the project, else the only one.</summary>
    internal static string? FindApp(string output, string project)
    {
        if (!Directory.Exists(output))
        {
            return null;
        }

        var preferred = Path.Combine(output, Path.GetFileNameWithoutExtension(project) + RuntimeConfigSuffix);
        var config = File.Exists(preferred) ? preferred : Directory.GetFiles(output, "*" + RuntimeConfigSuffix) is [var only] ? only : null;
        if (config is null)
        {
            return null;
        }

        var app = config[..^RuntimeConfigSuffix.Length] + ".dll";
        return File.Exists(app) ? app : null;
    }

    /// <summary>
    /// The distinct compiler/MSBuild/NuGet error lines, in order, without the trailing <c>[project]</c> MSBuild appends
    /// (a project built for several target frameworks reports an error once for each); the last line of all when none
    /// reads as an error.
    /// </summary>
    internal static string[] Errors(IReadOnlyList<string> lines)
    {
        var errors = lines
            .Where(IsError)
            .Select(StripProject)
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        return errors.Length > 0 ? errors : lines.LastOrDefault(l => !string.IsNullOrWhiteSpace(l)) is { } last ? [StripProject(last)] : [];
    }

    /// <summary>
    /// What to do when NuGet's restore of the projects together failed without a word (MSB4181): it does so for a project
    /// that has no TargetFramework, such as one copied out of the repository whose Directory.Build.props set it; a restore
    /// of that project alone names the cause.
    /// </summary>
    internal static string SilentRestoreHint(string error, string project) =>
        error.Contains("MSB4181", StringComparison.Ordinal) && error.Contains("RestoreTask", StringComparison.Ordinal)
            ? $"; the restore failed without naming the cause: 'dotnet restore {project}' shows it (a project copied out of " +
              "its repository often misses the Directory.Build.props or Directory.Packages.props that was above it)"
            : "";

    private static bool IsError(string line) =>
        line.Contains(": error ", StringComparison.OrdinalIgnoreCase) || line.TrimStart().StartsWith("error", StringComparison.OrdinalIgnoreCase);

    private static string StripProject(string line) => MsBuildBatch.SplitProject(line).Message;

    private static (string Fingerprint, string Directory)? ReadStamp(string path)
    {
        try
        {
            // A stamp of the older layout (one line, no directory) matches nothing: that build is redone.
            return File.ReadAllLines(path) is [var fingerprint, var directory, ..] && directory.Length > 0 ? (fingerprint, directory) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? FindDotnet()
    {
        try
        {
            return CommandResolver.Resolve("dotnet", Environment.CurrentDirectory, Environment.GetEnvironmentVariable("PATH"));
        }
        catch (LaunchException)
        {
            // Running under the dotnet CLI (dotnet run/test) tells us where the host is even when PATH does not.
            return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : null;
        }
    }
}

/// <summary>A service's build asked for and not finished: who waits, where its lines go, what its sources were.</summary>
internal sealed class PendingBuild(ServiceSpec service, ServiceLog log)
{
    private const int LinesKept = 200;
    private readonly Queue<string> _lines = new();

    public ServiceSpec Service { get; } = service;

    public ServiceLog Log { get; } = log;

    public TaskCompletionSource<ProjectBuild> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True once its project is being built (not only checked for changes).</summary>
    public bool Building { get; set; }

    /// <summary>The sources' fingerprint before the build: what the stamp records once it succeeded.</summary>
    public string? Fingerprint { get; set; }

    /// <summary>The build's last lines about this service, for the cause of a failure.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>Keeps a build line among the last ones, and writes it to the service's log when <paramref name="log"/> says so.</summary>
    public void Remember(string line, bool log)
    {
        if (log)
        {
            Log.Write(line);
        }

        lock (_lines)
        {
            _lines.Enqueue(line);
            if (_lines.Count > LinesKept)
            {
                _lines.Dequeue();
            }
        }
    }
}
