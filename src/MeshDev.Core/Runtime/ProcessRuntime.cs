using System.Collections;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using MeshDev.Catalog;

namespace MeshDev.Runtime;

/// <summary>
/// The embedded default runtime: each instance is a local child process in its own process group, its output captured
/// into the service's log. <c>project:</c> services are built once (again only when their sources change) and run with <c>dotnet</c>.
/// </summary>
public sealed class ProcessRuntime : IServiceRuntime, IDisposable
{
    // util-linux setsid: when the caller is not a group leader (a freshly forked child never is) it calls setsid()
    // and execs in place, so the service keeps the pid we were given and pgid == sid == pid.
    private static readonly Lazy<string?> Setsid = new(() => new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists));

    private static readonly Lazy<string?> MergeOutputShell = new(() => File.Exists("/bin/sh") ? "/bin/sh" : null);

    private readonly string? _stateDirectory;
    private readonly TimeProvider _time;
    private readonly ProjectBuilder _builder;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ProjectBuild> _prepared = new(StringComparer.OrdinalIgnoreCase);

    /// <param name="stateDirectory">Where pid files and build output go (<c>.meshdev</c>); null keeps builds in a temporary directory and records no pids.</param>
    /// <param name="timeProvider">Clock for stop grace periods.</param>
    public ProcessRuntime(string? stateDirectory = null, TimeProvider? timeProvider = null)
    {
        _stateDirectory = stateDirectory is null ? null : Path.GetFullPath(stateDirectory);
        _time = timeProvider ?? TimeProvider.System;
        var buildRoot = _stateDirectory is null
            ? Path.Combine(Path.GetTempPath(), $"meshdev-build-{Environment.ProcessId}")
            : StateFiles.BuildRoot(_stateDirectory);
        _builder = new ProjectBuilder(buildRoot, _stateDirectory, _time);
    }

    public RuntimeKind Kind => RuntimeKind.Process;

    /// <summary>How many project builds actually ran (skipped ones not counted).</summary>
    internal int BuildCount => _builder.BuildCount;

    /// <summary>Builds the service's project, unless its sources are unchanged since the last build. Nothing to do for <c>command:</c> services.</summary>
    public async Task PrepareAsync(ServiceSpec service, ServiceLog log, CancellationToken cancellationToken)
    {
        if (service.Project is null)
        {
            return;
        }

        var build = await _builder.EnsureBuiltAsync(service, log, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _prepared[service.Name] = build;
        }
    }

    public async Task<IServiceInstance> StartAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        var service = request.Service;
        if (!Directory.Exists(service.WorkingDir))
        {
            throw new LaunchException($"working directory '{service.WorkingDir}' does not exist");
        }

        var environment = BuildEnvironment(request);
        string command;
        IEnumerable<string> arguments = service.Args.Select(request.Substitute);
        if (service.Project is not null)
        {
            var build = await TakePreparedAsync(service, request.Log, cancellationToken).ConfigureAwait(false);
            command = ProjectBuilder.Dotnet;
            arguments = arguments.Prepend(build.AppPath);
            AddDotnetDefaults(service, request, environment);
        }
        else
        {
            var declared = service.Command ?? throw new LaunchException($"service '{service.Name}' has neither 'command' nor 'project' to run");
            command = CommandResolver.Resolve(declared, service.WorkingDir, environment.GetValueOrDefault("PATH"));
        }

        cancellationToken.ThrowIfCancellationRequested();
        return Spawn(request, command, arguments, environment);
    }

    /// <summary>
    /// Kills every process group recorded under <paramref name="stateDirectory"/> that is still alive and still the one
    /// recorded (same start time), and deletes the records. Returns how many groups were killed. For <c>meshdev down</c>
    /// after the daemon died without stopping its services.
    /// </summary>
    public static int KillOrphans(string stateDirectory)
    {
        var directory = StateFiles.PidDirectory(stateDirectory);
        if (!Directory.Exists(directory))
        {
            return 0;
        }

        var killed = 0;
        foreach (var path in Directory.GetFiles(directory, "*.pid"))
        {
            if (PidFile.TryRead(path) is { } record && KillRecorded(record))
            {
                killed++;
            }

            StateFiles.TryDelete(path);
        }

        return killed;
    }

    public void Dispose() => _builder.Dispose();

    private static bool KillRecorded(PidFile record)
    {
        var pgid = record.ProcessGroupId;
        if (UnixProcess.TryGetStartTime(pgid) is long startTime)
        {
            // The leader lives: it must be the recorded one, not a later process that reused the pid.
            if (startTime != record.StartTime)
            {
                return false;
            }

            var group = UnixProcess.SignalGroup(pgid, UnixProcess.SigKill);
            return UnixProcess.SignalProcess(pgid, UnixProcess.SigKill) || group;
        }

        // The leader is gone but members of its group may live on. Linux never hands out a pid that is still some
        // group's id, so if a group with this id exists, it is the recorded one.
        return UnixProcess.SignalGroup(pgid, UnixProcess.SigKill);
    }

    private ProcessInstance Spawn(LaunchRequest request, string command, IEnumerable<string> arguments, Dictionary<string, string> environment)
    {
        var service = request.Service;
        var setsid = Setsid.Value;

        // stdout and stderr share one pipe (as `2>&1` does): two pipes read by two readers lose the order in which the
        // service wrote to them. The shell execs in place, so the service keeps the pid it is started with.
        var launcher = new List<string>();
        if (MergeOutputShell.Value is { } shell)
        {
            launcher.AddRange([shell, "-c", "exec \"$@\" 2>&1", "meshdev-service"]);
        }

        if (setsid is not null)
        {
            launcher.Add(setsid);
        }

        launcher.Add(command);
        var start = new ProcessStartInfo(launcher[0])
        {
            WorkingDirectory = service.WorkingDir,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in launcher.Skip(1).Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Clear();
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new LaunchException($"could not start '{command}'");
        }
        catch (Win32Exception e)
        {
            throw new LaunchException($"could not start '{command}': {e.Message}", e);
        }

        // Services must never read the terminal (or wait for input that will never come): give them an empty stdin.
        process.StandardInput.Close();
        var pidFile = _stateDirectory is null ? null : StateFiles.PidFile(_stateDirectory, service.Name);
        return new ProcessInstance(process, ownGroup: setsid is not null, new ServiceEndpoint("127.0.0.1", request.Port), request.Log, pidFile, _time);
    }

    /// <summary>The daemon's environment, then the service's <c>env</c>, then the launch's (discovery variables…), then PORT; later wins.</summary>
    private static Dictionary<string, string> BuildEnvironment(LaunchRequest request)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            environment[(string)entry.Key] = (string?)entry.Value ?? "";
        }

        foreach (var (name, value) in request.Service.Env)
        {
            environment[name] = request.Substitute(value);
        }

        foreach (var (name, value) in request.Environment)
        {
            environment[name] = request.Substitute(value);
        }

        environment["PORT"] = request.Port.ToString(CultureInfo.InvariantCulture);

        // Python buffers stdout when it is a pipe: a crash's error (stderr) would come before the lines printed just
        // before it, which arrive only at exit. Unbuffered, the log shows them as written; set it to 0 to opt out.
        environment.TryAdd("PYTHONUNBUFFERED", "1");
        return environment;
    }

    private static void AddDotnetDefaults(ServiceSpec service, LaunchRequest request, Dictionary<string, string> environment)
    {
        // The daemon's own ASPNETCORE_URLS (if any) is not the service's: only an explicit one wins over the launch port.
        if (!service.Env.ContainsKey("ASPNETCORE_URLS") && !request.Environment.ContainsKey("ASPNETCORE_URLS"))
        {
            environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{request.Port.ToString(CultureInfo.InvariantCulture)}";
        }

        // Like `dotnet run` with a launch profile; one set explicitly (either name) means the developer chose.
        if (!environment.ContainsKey("DOTNET_ENVIRONMENT") && !environment.ContainsKey("ASPNETCORE_ENVIRONMENT"))
        {
            environment["DOTNET_ENVIRONMENT"] = "Development";
            environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        }
    }

    /// <summary>The build of an explicit <see cref="PrepareAsync"/> just before, else a fresh (usually skipped) one, so a relaunch picks up edits.</summary>
    private async Task<ProjectBuild> TakePreparedAsync(ServiceSpec service, ServiceLog log, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_prepared.Remove(service.Name, out var prepared))
            {
                return prepared;
            }
        }

        return await _builder.EnsureBuiltAsync(service, log, cancellationToken).ConfigureAwait(false);
    }
}
