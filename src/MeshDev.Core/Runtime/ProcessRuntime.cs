using System.Collections;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MeshDev.Catalog;

namespace MeshDev.Runtime;

/// <summary>
/// The embedded default runtime: each instance is a local child process in its own process group, its output captured
/// into the service's log. <c>project:</c> services are built once (again only when their sources change) and run with <c>dotnet</c>.
/// Everything an instance starts is kept track of however it detaches (setsid, setpgid, double fork): each instance
/// runs in a cgroup of its own where one can be made, and carries a marker in its environment everywhere.
/// </summary>
public sealed class ProcessRuntime : IServiceRuntime, IDisposable, IAsyncDisposable
{
    /// <summary>Set to <c>off</c>, the runtime makes no cgroups and finds what instances started by their environment marker alone.</summary>
    public const string CgroupsVariable = "MESHDEV_CGROUPS";

    // util-linux setsid: when the caller is not a group leader (a freshly forked child never is) it calls setsid()
    // and execs in place, so the service keeps the pid we were given and pgid == sid == pid.
    private static readonly Lazy<string?> Setsid = new(() => new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists));

    // The spawn wrapper's first step: moves itself ($$, the pid Process.Start returns) into the instance's cgroup ($0)
    // before it execs the service in place, so the service and all it ever forks are in the cgroup from their first
    // instruction. A cgroup that refuses the move costs the service nothing: it still runs, found by its environment
    // marker instead. The write waits for a kernel grace period (CgroupJoin), which services that speak systemd's
    // start-up protocols do not pay: the mesh moves those beside their start.
    private const string JoinCgroupStep =
        "echo $$ 2>/dev/null >\"$0\" || echo \"meshdev: could not move into the cgroup $0; leftovers of this service are found by its environment instead\" >&2; ";

    // What a service may get from the mesh's own parent (a daemon run by systemd) but must only get from the mesh,
    // for its own launch: inherited, they would point the service at a socket that is not its own.
    private static readonly string[] HandshakeVariables = ["LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET"];

    // bash first: dash (Debian's /bin/sh) drops every environment variable whose name is not a shell identifier before it
    // execs the service, and services__order-events__http__0 is one (a service name with a dash); bash passes them on.
    private static readonly Lazy<string?> Shell = new(() => new[] { "/bin/bash", "/usr/bin/bash", "/bin/sh" }.FirstOrDefault(File.Exists));

    private readonly string? _stateDirectory;
    private readonly string _meshId;
    private readonly bool _useCgroups;
    private readonly TimeProvider _time;
    private readonly ProjectBuilder _builder;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ProjectBuild> _prepared = new(StringComparer.OrdinalIgnoreCase);

    // The build each running project instance runs from: kept when old builds are pruned, and told apart from a new one.
    private readonly Dictionary<IServiceInstance, ProjectBuild> _runningBuilds = [];
    private Lazy<Cgroup?>? _meshCgroup;

    /// <param name="stateDirectory">Where pid files and build output go (<c>.meshdev</c>); null keeps builds in a temporary directory and records no pids.</param>
    /// <param name="timeProvider">Clock for stop grace periods.</param>
    /// <param name="useCgroups">False runs instances without cgroups even where they could be made (as <see cref="CgroupsVariable"/>=off does).</param>
    public ProcessRuntime(string? stateDirectory = null, TimeProvider? timeProvider = null, bool useCgroups = true)
    {
        _stateDirectory = stateDirectory is null ? null : Path.GetFullPath(stateDirectory);
        // Without a state directory nothing outlives this runtime object, so a fresh id per runtime is enough.
        _meshId = _stateDirectory is null ? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)) : MeshIdentity.For(_stateDirectory);
        _useCgroups = useCgroups && !string.Equals(Environment.GetEnvironmentVariable(CgroupsVariable), "off", StringComparison.OrdinalIgnoreCase);
        _time = timeProvider ?? TimeProvider.System;
        var buildRoot = _stateDirectory is null
            ? Path.Combine(Path.GetTempPath(), $"meshdev-build-{Environment.ProcessId}")
            : StateFiles.BuildRoot(_stateDirectory);
        _builder = new ProjectBuilder(buildRoot, _stateDirectory, _time);
    }

    public RuntimeKind Kind => RuntimeKind.Process;

    /// <summary>How many project builds actually ran (skipped ones not counted).</summary>
    internal int BuildCount => _builder.BuildCount;

    /// <summary>The cgroup that holds this runtime's instances (one cgroup each inside it); null when there is none (yet).</summary>
    internal Cgroup? MeshCgroup => _meshCgroup is { IsValueCreated: true } created ? created.Value : null;

    /// <summary>Why no cgroup could be made for this runtime's instances; null when there is one, or none was tried yet.</summary>
    internal string? CgroupProblem { get; private set; }

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

        PruneBuilds(service.Name);
    }

    /// <summary>
    /// Builds the projects of <paramref name="services"/> whose sources changed, in one MSBuild run, before anyone calls
    /// them (<c>meshdev up</c>); a launch meanwhile joins its service's build. Failures are in the result, not thrown.
    /// </summary>
    /// <param name="building">Told the services whose projects are built now, before the build starts.</param>
    public Task<PrebuildResult> PrebuildAsync(IReadOnlyList<(ServiceSpec Service, ServiceLog Log)> services, Action<IReadOnlyList<string>>? building = null) =>
        _builder.BuildAllAsync([.. services.Where(s => s.Service.Project is not null)], building);

    /// <summary>Rebuilds a project whose sources changed; true when that made a build other than the one <paramref name="running"/> runs from.</summary>
    public async Task<bool> PrepareReplacementAsync(ServiceSpec service, IServiceInstance running, ServiceLog log, CancellationToken cancellationToken)
    {
        if (service.Project is null)
        {
            return false;
        }

        var build = await _builder.EnsureBuiltAsync(service, log, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            if (_runningBuilds.TryGetValue(running, out var current) && current.OutputDirectory == build.OutputDirectory)
            {
                return false;
            }

            _prepared[service.Name] = build;
        }

        PruneBuilds(service.Name);
        return true;
    }

    /// <summary>Watches a project's source directories (those <see cref="SourceFingerprint"/> covers); nothing for <c>command:</c> services.</summary>
    public IDisposable? WatchSources(ServiceSpec service, ServiceLog log, Action changed) =>
        service.Project is null ? null : new SourceWatcher(service.Project, _stateDirectory, log, _ => changed());

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
        ProjectBuild? build = null;
        if (service.Project is not null)
        {
            build = await TakePreparedAsync(service, request.Log, cancellationToken).ConfigureAwait(false);
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
        var instance = Spawn(request, command, arguments, environment);
        if (build is not null)
        {
            TrackBuild(service.Name, instance, build);
        }

        return instance;
    }

    private void TrackBuild(string service, ProcessInstance instance, ProjectBuild build)
    {
        lock (_gate)
        {
            _runningBuilds[instance] = build;
        }

        // Once it exits, the build it ran from may be an old one to remove.
        _ = instance.Exited.ContinueWith(
            _ =>
            {
                lock (_gate)
                {
                    _runningBuilds.Remove(instance);
                }

                PruneBuilds(service);
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void PruneBuilds(string service)
    {
        string[] inUse;
        lock (_gate)
        {
            inUse = [.. _runningBuilds.Values.Concat(_prepared.Values).Select(b => b.OutputDirectory)];
        }

        _builder.Prune(service, inUse);
    }

    /// <summary>
    /// Kills whatever a run of the mesh kept in <paramref name="stateDirectory"/> left running, and deletes the records: the
    /// cgroup it recorded (everything in it), every process whose environment carries the mesh's id (except the calling
    /// process and its ancestors), and the process groups recorded in pid files (when their leader is still the
    /// recorded process). Returns how many processes were killed. For <c>meshdev down</c>, and <c>up</c> before it starts,
    /// after a daemon died without stopping its services.
    /// </summary>
    public static async Task<int> KillOrphansAsync(string stateDirectory, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        stateDirectory = Path.GetFullPath(stateDirectory);
        var meshId = MeshIdentity.For(stateDirectory);
        var killed = new HashSet<int>();

        // The cgroup first: it holds even processes that dropped the marker from their environment.
        var record = StateFiles.CgroupRecord(stateDirectory);
        if (ReadRecord(record) is { } recorded && Cgroup.TryOpenForMesh(recorded, meshId) is { } cgroup)
        {
            killed.UnionWith(cgroup.Processes());
            cgroup.Kill();
            if (await cgroup.RemoveAsync(time ?? TimeProvider.System, cancellationToken).ConfigureAwait(false))
            {
                StateFiles.TryDelete(record);
            }
        }
        else
        {
            StateFiles.TryDelete(record);
        }

        // Then the marker, which finds everything else (no cgroup, or escaped from it); each is stopped before any is
        // killed, so none dies early and sets off a cleanup of its own meanwhile.
        killed.UnionWith(MarkedProcesses.Kill(MarkedProcesses.Entry(MarkedProcesses.MeshVariable, meshId), UnixProcess.SelfAndAncestors(Environment.ProcessId)));

        // Last the process groups: they catch processes started by a version of MeshDev that set no marker.
        var directory = StateFiles.PidDirectory(stateDirectory);
        if (Directory.Exists(directory))
        {
            foreach (var path in Directory.GetFiles(directory, "*.pid"))
            {
                if (PidFile.TryRead(path) is { } pidFile && KillRecorded(pidFile))
                {
                    killed.Add(pidFile.ProcessGroupId);
                }

                StateFiles.TryDelete(path);
            }
        }

        return killed.Count;
    }

    public void Dispose()
    {
        // Instances are stopped before their runtime; whatever is still in the cgroup now would be orphaned.
        if (MeshCgroup is { } cgroup)
        {
            cgroup.Kill();
            if (cgroup.TryRemove())
            {
                ForgetCgroup();
            }
        }

        _builder.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (MeshCgroup is { } cgroup)
        {
            cgroup.Kill();
            if (await cgroup.RemoveAsync(_time, CancellationToken.None).ConfigureAwait(false))
            {
                ForgetCgroup();
            }
        }

        _builder.Dispose();
    }

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

    private static string? ReadRecord(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private void ForgetCgroup()
    {
        if (_stateDirectory is not null)
        {
            StateFiles.TryDelete(StateFiles.CgroupRecord(_stateDirectory));
        }
    }

    /// <summary>The mesh's cgroup, made (and recorded for <see cref="KillOrphansAsync"/>) at the first launch; null where none can be made.</summary>
    private Cgroup? EnsureMeshCgroup()
    {
        if (!_useCgroups || Shell.Value is null)
        {
            return null;
        }

        lock (_gate)
        {
            _meshCgroup ??= new Lazy<Cgroup?>(CreateMeshCgroup);
        }

        return _meshCgroup.Value;
    }

    private Cgroup? CreateMeshCgroup()
    {
        var cgroup = Cgroup.TryCreateForMesh(_meshId, out var problem);
        CgroupProblem = problem;
        if (cgroup is not null && _stateDirectory is not null)
        {
            try
            {
                var record = StateFiles.CgroupRecord(_stateDirectory);
                Directory.CreateDirectory(_stateDirectory);
                File.WriteAllText(record + ".tmp", cgroup.Path + "\n");
                File.Move(record + ".tmp", record, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Without the record `meshdev down` after a crash still finds the processes by their marker.
                CgroupProblem = $"could not record the cgroup: {e.Message}";
            }
        }

        return cgroup;
    }

    private ProcessInstance Spawn(LaunchRequest request, string command, IEnumerable<string> arguments, Dictionary<string, string> environment)
    {
        var service = request.Service;
        var setsid = Setsid.Value;
        var instanceId = $"{_meshId}.{StateFiles.SafeName(service.Name)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        var ready = service.Ready;
        // dash, the other shell there may be, cannot name a descriptor above 9 in a redirection.
        if (ready.Socket && Shell.Value?.EndsWith("bash", StringComparison.Ordinal) != true)
        {
            throw new LaunchException("ready: { socket: true } needs bash to hand the listening socket over, and there is none in /bin or /usr/bin");
        }

        // Bound before anything else can fail, so that a port taken meanwhile is the launch's first and only complaint.
        using var listener = ready.Socket ? ActivationSocket.Bind(request.Port) : null;
        var notify = ready.Notify ? NotifySocket.Open(request.Log) : null;
        var cgroup = EnsureMeshCgroup()?.TryCreateChild(instanceId);

        // A service that takes its socket from the mesh or says READY=1 itself is a server that starts on its own, not
        // a script that forks helpers in its first milliseconds: its cold requests do not wait for the cgroup write
        // (CgroupJoin), what it forks meanwhile is moved after it. Every other service is in its cgroup before it runs.
        var joinBeside = cgroup is not null && (ready.Socket || ready.Notify);

        // The launcher chain, each exec'ing the next in place (one pid throughout): [sh] [setsid] command. The shell
        // joins the instance's cgroup (unless the mesh does it beside the start), moves a socket-activated service's
        // socket to fd 3, and gives stdout and stderr one pipe (as `2>&1` does): two pipes read by two readers lose the
        // order in which the service wrote to them.
        var launcher = new List<string>();
        if (Shell.Value is { } shell)
        {
            var joinFirst = cgroup is not null && !joinBeside;
            var script = (joinFirst ? JoinCgroupStep : "") + listener?.LauncherStep + "exec \"$@\" 2>&1";
            launcher.AddRange([shell, "-c", script, joinFirst ? cgroup!.ProcessesFile : "meshdev-service"]);
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

        foreach (var variable in HandshakeVariables)
        {
            environment.Remove(variable);
        }

        if (listener is not null)
        {
            ActivationSocket.AddEnvironment(environment, service.Name);
        }

        if (notify is not null)
        {
            environment["NOTIFY_SOCKET"] = notify.Address;
        }

        // Last, so that no service setting can take the markers away: they are how its leftovers are found.
        environment[MarkedProcesses.MeshVariable] = _meshId;
        environment[MarkedProcesses.InstanceVariable] = instanceId;
        start.Environment.Clear();
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        Process process;
        try
        {
            process = listener is null ? SpawnGate.Start(start) : SpawnGate.StartHandingOver(start, listener);
        }
        catch (Exception e) when (e is Win32Exception or LaunchException)
        {
            cgroup?.TryRemove();
            notify?.Dispose();
            throw e as LaunchException ?? new LaunchException($"could not start '{command}': {e.Message}", e);
        }

        // Services must never read the terminal (or wait for input that will never come): give them an empty stdin.
        process.StandardInput.Close();
        var pidFile = _stateDirectory is null ? null : StateFiles.PidFile(_stateDirectory, service.Name);
        var marker = MarkedProcesses.Entry(MarkedProcesses.InstanceVariable, instanceId);
        var processes = new InstanceProcesses(cgroup, marker, joinBeside ? CgroupJoin.Start(cgroup!, process.Id, marker, request.Log) : null);
        // The service's own word (READY=1) first; with socket activation alone, its accept queue takes traffic at once.
        IReadinessProbe? readiness = notify ?? (ready.Socket && ready.Kind == ReadyKind.Tcp ? ActivationSocket.AcceptQueue : null);
        return new ProcessInstance(process, ownGroup: setsid is not null, new ServiceEndpoint("127.0.0.1", request.Port), request.Log, pidFile, processes, _time, readiness, notify);
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
