using System.Diagnostics;
using System.Globalization;
using MeshDev.Catalog;

namespace MeshDev.Runtime;

/// <summary>The output of a project build: where it went and the app to run with <c>dotnet</c>.</summary>
internal sealed record ProjectBuild(string OutputDirectory, string AppPath);

/// <summary>
/// Builds the .NET projects of <c>project:</c> services into the state directory, once per change of their sources:
/// concurrent requests for one service share one build, and unchanged sources skip the build entirely. Each build goes
/// into a new directory, so an instance still runs from its own while the next is built; <see cref="Prune"/> removes the rest.
/// </summary>
internal sealed class ProjectBuilder(string buildRoot, string? stateDirectory, TimeProvider time) : IDisposable
{
    private const string RuntimeConfigSuffix = ".runtimeconfig.json";
    private const int ErrorLinesKept = 200;

    // Set by a parent `dotnet run`/`dotnet test`; inherited, they pin the nested build to the parent's SDK and MSBuild.
    private static readonly string[] InheritedMsBuildVariables = ["MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly"];

    private static readonly Lazy<string?> DotnetHost = new(FindDotnet);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Task<ProjectBuild>> _inFlight = new(StringComparer.OrdinalIgnoreCase);
    private readonly CancellationTokenSource _lifetime = new();
    private int _buildCount;

    /// <summary>How many builds actually ran (not skipped); for tests and diagnostics.</summary>
    public int BuildCount => Volatile.Read(ref _buildCount);

    /// <summary>The <c>dotnet</c> host that builds and runs projects.</summary>
    public static string Dotnet => DotnetHost.Value ?? throw new LaunchException("the .NET SDK ('dotnet') is not on PATH; install it or run the service with 'command:'");

    /// <summary>Builds the service's project unless its sources are unchanged since the last successful build. Joins a build already running for the service.</summary>
    public Task<ProjectBuild> EnsureBuiltAsync(ServiceSpec service, ServiceLog log, CancellationToken cancellationToken)
    {
        Task<ProjectBuild> build;
        lock (_gate)
        {
            if (!_inFlight.TryGetValue(service.Name, out build!))
            {
                // The build belongs to no single caller: one caller giving up must not cancel it for the others.
                build = Task.Run(() => BuildIfChangedAsync(service, log, _lifetime.Token));
                _inFlight[service.Name] = build;
                build.ContinueWith(
                    done =>
                    {
                        lock (_gate)
                        {
                            if (_inFlight.TryGetValue(service.Name, out var current) && current == done)
                            {
                                _inFlight.Remove(service.Name);
                            }
                        }
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
        }

        return build.WaitAsync(cancellationToken);
    }

    /// <summary>Cancels (kills) builds still running. The token source is not disposed: late callers still read its token.</summary>
    public void Dispose() => _lifetime.Cancel();

    private async Task<ProjectBuild> BuildIfChangedAsync(ServiceSpec service, ServiceLog log, CancellationToken cancellationToken)
    {
        var project = service.Project!;
        if (!File.Exists(project))
        {
            throw new LaunchException($"project '{project}' not found");
        }

        var outputs = StateFiles.BuildOutputs(buildRoot, service.Name);
        var stampPath = StateFiles.BuildStamp(buildRoot, service.Name);
        var fingerprint = SourceFingerprint.Compute(project, stateDirectory);

        if (ReadStamp(stampPath) is { } stamp && stamp.Fingerprint == fingerprint
            && FindApp(Path.Combine(outputs, stamp.Directory), project) is { } existing)
        {
            log.Write($"{Path.GetFileName(project)} is unchanged, build skipped");
            return new ProjectBuild(Path.Combine(outputs, stamp.Directory), existing);
        }

        // A fresh directory per build: the running instance keeps its own files while the next build is written.
        var output = NextOutput(outputs);
        Interlocked.Increment(ref _buildCount);
        log.Write($"building {project}");
        var started = time.GetTimestamp();
        var (exitCode, lines) = await RunBuildAsync(project, output, log, time, cancellationToken).ConfigureAwait(false);
        if (exitCode != 0)
        {
            DeleteOutput(output);
            throw new LaunchException($"build of {project} failed: {LastError(lines) ?? $"dotnet build exited with code {exitCode}"}");
        }

        var app = FindApp(output, project);
        if (app is null)
        {
            DeleteOutput(output);
            throw new LaunchException($"{project} built, but {output} holds no runnable app (no single *{RuntimeConfigSuffix}); is its OutputType Exe?");
        }

        // The stamp is written last: it only ever names a completed build.
        await File.WriteAllTextAsync(stampPath, $"{fingerprint}\n{Path.GetFileName(output)}\n", CancellationToken.None).ConfigureAwait(false);
        log.Write($"built {Path.GetFileName(project)} in {time.GetElapsedTime(started).TotalSeconds:0.0} s into {output}");
        return new ProjectBuild(output, app);
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

    private static async Task<(int ExitCode, IReadOnlyList<string> Lines)> RunBuildAsync(string project, string output, ServiceLog log, TimeProvider time, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Dotnet)
        {
            WorkingDirectory = Path.GetDirectoryName(project)!,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])["build", project, "-c", "Debug", "-o", output, "--nologo", "-v", "q"])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var variable in InheritedMsBuildVariables)
        {
            start.Environment.Remove(variable);
        }

        var recent = new Queue<string>();
        using var process = SpawnGate.Start(start);
        process.StandardInput.Close();
        var drained = OutputPump.Start(process, line =>
        {
            log.Write(line);
            lock (recent)
            {
                recent.Enqueue(line);
                if (recent.Count > ErrorLinesKept)
                {
                    recent.Dequeue();
                }
            }
        });

        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            TryKillTree(process);
            throw;
        }

        // Build servers (MSBuild nodes, the compiler server) may inherit and keep the pipes open: do not wait for them.
        await ProcessInstance.WaitDrainedAsync(drained, time).ConfigureAwait(false);
        lock (recent)
        {
            return (process.ExitCode, recent.ToArray());
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

    /// <summary>The last compiler/MSBuild/NuGet error line, without the trailing <c>[project]</c> MSBuild appends.</summary>
    internal static string? LastError(IReadOnlyList<string> lines)
    {
        var line = lines.LastOrDefault(l => l.Contains(": error ", StringComparison.OrdinalIgnoreCase) || l.TrimStart().StartsWith("error", StringComparison.OrdinalIgnoreCase))
            ?? lines.LastOrDefault(l => !string.IsNullOrWhiteSpace(l));
        if (line is null)
        {
            return null;
        }

        line = line.Trim();
        var bracket = line.LastIndexOf(" [", StringComparison.Ordinal);
        return bracket > 0 && line.EndsWith(']') ? line[..bracket] : line;
    }

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

    private static void TryKillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
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
