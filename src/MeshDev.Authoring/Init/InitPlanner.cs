using System.Collections.Immutable;
using System.Globalization;
using MeshDev.Authoring.Compose;
using MeshDev.Catalog;

namespace MeshDev.Authoring.Init;

/// <summary>
/// Turns the projects of <see cref="InitSources"/> into <see cref="InitService"/>s: which are services, their names,
/// ports, environment, gRPC routes, readiness and calls, each with the reason; conflicts between projects (a shared
/// port, a gRPC service served twice) are resolved so the manifest validates, and reported.
/// </summary>
internal sealed class InitPlanner
{
    private static readonly string[] ComposeFileNames = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

    private readonly string _manifestDirectory;
    private readonly List<string> _warnings = [];

    private InitPlanner(string manifestPath) => _manifestDirectory = Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;

    /// <summary>The plan for a manifest at <paramref name="manifestPath"/> (paths in it and in the reasons are relative to its folder).</summary>
    public static InitPlan Plan(InitSources sources, string manifestPath) => new InitPlanner(manifestPath).Run(sources);

    private InitPlan Run(InitSources sources)
    {
        var skipped = new List<SkippedProject>();
        var runnable = new List<ProjectFile>();
        foreach (var path in sources.Projects)
        {
            if (!File.Exists(path))
            {
                skipped.Add(new SkippedProject(path, "the project file does not exist"));
                continue;
            }

            try
            {
                var project = ProjectFile.Read(path);
                if (RunnableProject.SkipReason(project) is { } reason)
                {
                    skipped.Add(new SkippedProject(path, reason));
                }
                else
                {
                    runnable.Add(project);
                }
            }
            catch (InitException e)
            {
                skipped.Add(new SkippedProject(path, e.Message));
            }
        }

        var taken = new HashSet<string>(StringComparer.Ordinal);
        var drafts = runnable.Select(project => Draft(project, ServiceNames.Unique(ProjectNames.ToServiceName(project.Name), taken))).ToList();
        drafts = NameAsCalled(drafts, taken);
        var byName = drafts.ToDictionary(d => d.Service.Name, StringComparer.Ordinal);
        var services = drafts
            .Select(d => WithCalls(d, byName))
            .ToList();
        services = DropSharedPorts(services);
        services = DropSharedGrpcServices(services);

        return new InitPlan(sources.Description, [.. services], [.. skipped], [.. _warnings], FindCompose(sources.Directory));
    }

    private sealed record ServiceDraft(InitService Service, IReadOnlyList<ServiceReference> References);

    private ServiceDraft Draft(ProjectFile project, string name)
    {
        // The port's reason comes first (DropSharedPorts rewrites it).
        var reasons = new List<string>();
        var profile = ProjectLaunchProfile.Read(project.Path, _warnings);
        var profileText = profile is null ? "" : $"profile '{profile.Name}' of {Relative(profile.FilePath)}";
        if (profile?.Port is { } port)
        {
            reasons.Add($"port {port.ToString(CultureInfo.InvariantCulture)} from {profileText}");
        }
        else
        {
            reasons.Add(profile is null
                ? "port auto: no launch profile (Properties/launchSettings.json) with commandName Project"
                : $"port auto: {profileText} has no http:// applicationUrl with a port");
        }

        if (profile is { Env.Length: > 0 })
        {
            reasons.Add($"env {string.Join(", ", profile.Env.Select(e => e.Key))} from {(profile.Port is null ? profileText : "the same profile")}");
        }

        var grpc = new List<string>();
        foreach (var proto in project.ServerProtos)
        {
            var declared = ProtoServices.Parse(SourceText.Read(proto));
            grpc.AddRange(declared);
            if (declared.Count > 0)
            {
                reasons.Add($"routes.grpc {string.Join(", ", declared)} from {Relative(proto)}");
            }
        }

        var sources = SourceText.ReadAll(project.Directory);
        var ready = ReadyDetection.Find(sources);
        if (ready is { } probe)
        {
            reasons.Add($"ready {probe.Probe}: {probe.Code} in {Relative(probe.File)}");
        }

        var references = ServiceReferences.Find(project, sources).ToList();
        if (profile is not null)
        {
            references.AddRange(profile.DiscoveryVariables.Select(variable =>
                new ServiceReference(ServiceReferences.FromEnvironmentName(variable)!, variable, profile.FilePath)));
        }

        var service = new InitService
        {
            Name = name,
            ProjectPath = project.Path,
            Port = profile?.Port,
            Env = profile?.Env ?? [],
            Ready = ready?.Probe,
            GrpcServices = [.. grpc.Distinct(StringComparer.Ordinal)],
            Reasons = [.. reasons],
        };
        return new ServiceDraft(service, references);
    }

    /// <summary>
    /// A project that another one calls by a short name (<c>services:catalog</c> for the project Acme.Catalog, named
    /// acme-catalog) is named as it is called: discovery gives a service's address only under its own name, so the call
    /// would otherwise find no address at run time. Only when exactly one service's name ends with <c>-{name}</c> and
    /// nothing calls that service by its full name.
    /// </summary>
    private List<ServiceDraft> NameAsCalled(List<ServiceDraft> drafts, HashSet<string> taken)
    {
        var calledByFullName = drafts.SelectMany(d => d.References).Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var reference in drafts.SelectMany(d => d.References).DistinctBy(r => r.Name).ToList())
        {
            if (taken.Contains(reference.Name) || !ManifestValues.IsValidServiceName(reference.Name))
            {
                continue;
            }

            var suffix = $"-{reference.Name}";
            var candidates = drafts.Where(d => d.Service.Name.EndsWith(suffix, StringComparison.Ordinal)).ToList();
            if (candidates is not [var draft] || calledByFullName.Contains(draft.Service.Name))
            {
                continue;
            }

            taken.Remove(draft.Service.Name);
            taken.Add(reference.Name);
            var renamed = draft with
            {
                Service = draft.Service with
                {
                    Name = reference.Name,
                    Reasons = draft.Service.Reasons.Add($"named {reference.Name}, not {draft.Service.Name}: {Relative(reference.File)} calls it so ({reference.Text})"),
                },
            };
            drafts[drafts.IndexOf(draft)] = renamed;
        }

        return drafts;
    }

    /// <summary>The references that name another service of the manifest become its <c>calls:</c>, each with the first place seen.</summary>
    private InitService WithCalls(ServiceDraft draft, Dictionary<string, ServiceDraft> byName)
    {
        var calls = draft.References
            .Where(r => r.Name != draft.Service.Name && byName.ContainsKey(r.Name))
            .DistinctBy(r => r.Name)
            .ToList();
        if (calls.Count == 0)
        {
            return draft.Service;
        }

        var why = calls.Select(c => $"{c.Name} ({c.Text} in {Relative(c.File)})");
        return draft.Service with
        {
            Calls = [.. calls.Select(c => c.Name)],
            Reasons = draft.Service.Reasons.Add($"calls {string.Join(", ", why)}"),
        };
    }

    /// <summary>
    /// Two services on one fixed port could not both run, and a port the mesh listens on could not be the service's:
    /// those services get <c>port: auto</c>, and the user is told which.
    /// </summary>
    private List<InitService> DropSharedPorts(List<InitService> services)
    {
        var clashing = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in services.Where(s => s.Port is not null).GroupBy(s => s.Port!.Value))
        {
            var port = group.Key.ToString(CultureInfo.InvariantCulture);
            var names = group.Select(s => s.Name).ToList();
            var mesh = group.Key switch
            {
                MeshSettings.DefaultHttpPort => "the mesh's shared port (mesh.http)",
                MeshSettings.DefaultXdsPort => "the mesh's xds port (mesh.xds)",
                _ => null,
            };
            if (mesh is not null)
            {
                _warnings.Add($"port {port} of {Join(names)} in launchSettings.json is {mesh}, so it gets no fixed port (port: auto); give its profile another port and run meshdev init --force again");
            }
            else if (names.Count > 1)
            {
                _warnings.Add($"{Join(names)} all have port {port} in their launchSettings.json, so none of them gets a fixed port (port: auto); give each profile a port of its own and run meshdev init --force again");
            }
            else
            {
                continue;
            }

            clashing.UnionWith(names);
        }

        // Draft puts the port's reason first.
        return [.. services.Select(s => clashing.Contains(s.Name)
            ? s with { Port = null, Reasons = s.Reasons.SetItem(0, $"port auto: {s.Reasons[0]["port ".Length..]} is not its own (see above)") }
            : s)];
    }

    /// <summary>The mesh routes a gRPC service to one service; a second project serving it keeps it off its routes.</summary>
    private List<InitService> DropSharedGrpcServices(List<InitService> services)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        var result = new List<InitService>();
        foreach (var service in services)
        {
            var kept = new List<string>();
            foreach (var grpc in service.GrpcServices)
            {
                if (owners.TryAdd(grpc, service.Name))
                {
                    kept.Add(grpc);
                }
                else
                {
                    _warnings.Add($"gRPC service {grpc} is served by {owners[grpc]} and {service.Name}; it is routed to {owners[grpc]} only (move it to {service.Name}'s routes.grpc to route it there)");
                }
            }

            result.Add(kept.Count == service.GrpcServices.Length ? service : service with { GrpcServices = [.. kept] });
        }

        return result;
    }

    private static string? FindCompose(string directory) =>
        ComposeFileNames.Select(name => Path.Combine(directory, name)).FirstOrDefault(File.Exists);

    private static string Join(List<string> names) =>
        names.Count == 1 ? names[0] : $"{string.Join(", ", names[..^1])} and {names[^1]}";

    private string Relative(string path) => Path.GetRelativePath(_manifestDirectory, path).Replace('\\', '/');
}
