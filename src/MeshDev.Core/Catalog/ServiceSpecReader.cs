using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Catalog;

/// <summary>Reads and checks one entry of <c>services:</c>; problems go to the diagnostics, never thrown.</summary>
internal sealed partial class ServiceSpecReader
{
    // Declared before ServiceKeys, in this file: static fields initialise in textual order only within one file.

    /// <summary>Keys that only a Docker container has ('image' is shared with kubernetes).</summary>
    private static readonly ImmutableArray<string> ContainerKeys = ["network", "volumes", "pull", "onIdle", "seccomp"];

    /// <summary>Keys that only a Kubernetes service has ('image' is shared with docker).</summary>
    private static readonly ImmutableArray<string> KubernetesKeys = ["context", "namespace", "manifests", "deployment", "runAsNonRoot"];

    private static readonly ImmutableArray<string> ServiceKeys =
    [
        "runtime", "command", "args", "env", "workingDir", "project", "port", "meshPort", "protocol", "url",
        "ready", "routes", "idleTimeout", "startTimeout", "stopGracePeriod", "requestTimeout", "maxWaitingRequests", "httpProxy", "dependsOn", "calls", "prewarm",
        "image", .. ContainerKeys, .. KubernetesKeys,
    ];

    // The defaults live on ServiceSpec; invalid values fall back to them.
    private static readonly ServiceSpec Defaults = new() { Name = "", WorkingDir = "" };

    private static readonly ImmutableArray<string> ReadyKeys = ["http", "tcp", "grpc", "exec", "service", "socket", "notify"];
    private static readonly ImmutableArray<string> RouteKeys = ["hosts", "paths", "grpc"];

    // The keys of 'ready' that choose the probe; a ready mapping holds exactly one of them.
    private static readonly ImmutableArray<string> ProbeKeys = ["http", "tcp", "grpc", "exec"];

    private const string GrpcServiceName = "a fully-qualified protobuf service name like shop.orders.v1.Orders";

    // The mesh never launches a remote service, so these would be silently ignored; better to say so.
    private static readonly ImmutableArray<string> LaunchKeys = ["command", "args", "env", "workingDir", "project", "port"];

    private readonly YamlScalarNode _nameNode;
    private readonly string _name;
    private readonly string _manifestDirectory;
    private readonly ManifestDiagnostics _diagnostics;
    private readonly ManifestSection _section;

    // False when the settings are not a mapping: that one error says it all, so the checks for missing fields stay quiet.
    private readonly bool _bodyIsUsable;

    private ServiceSpecReader(YamlScalarNode nameNode, YamlNode body, string manifestDirectory, ManifestDiagnostics diagnostics)
    {
        _nameNode = nameNode;
        _name = nameNode.Value ?? "";
        _manifestDirectory = manifestDirectory;
        _diagnostics = diagnostics;
        _bodyIsUsable = body is YamlMappingNode || ManifestNodes.IsNull(body);
        _section = new ManifestSection(ReadBody(body), $"of service '{_name}'", $"in service '{_name}'", ServiceKeys, diagnostics, allowExtensions: true);
    }

    /// <summary>Reads the service named by <paramref name="nameNode"/>. Invalid fields fall back to their defaults so later checks can still run.</summary>
    public static ParsedService Read(YamlScalarNode nameNode, YamlNode body, string manifestDirectory, ManifestDiagnostics diagnostics) =>
        new ServiceSpecReader(nameNode, body, manifestDirectory, diagnostics).Read();

    private ParsedService Read()
    {
        CheckName();
        var runtime = ReadRuntime();
        if (_bodyIsUsable)
        {
            CheckFieldsOfRuntime(runtime);
        }

        var isContainer = runtime is RuntimeKind.Docker or RuntimeKind.Kubernetes;
        var project = isContainer ? null : ReadProject();
        var workingDir = isContainer ? _manifestDirectory : ReadWorkingDir(project);
        var container = runtime == RuntimeKind.Docker ? ReadContainer() : null;
        var kubernetes = runtime == RuntimeKind.Kubernetes ? ReadKubernetes() : null;
        var port = runtime == RuntimeKind.Kubernetes ? ReadPodPort() : ReadPort(container);
        var meshPort = WithLocation(_section.Port("meshPort"), "meshPort");
        var url = ReadUrl();
        var protocol = ReadProtocol();
        var routes = OpenRoutes(protocol);
        var hosts = ReadHosts(routes);
        var paths = ReadPaths(routes);
        var grpcServices = ReadGrpcServices(routes);
        var dependsOn = ReadServiceNames("dependsOn");
        var calls = ReadServiceNames("calls");

        var spec = new ServiceSpec
        {
            Name = _name,
            Runtime = runtime ?? RuntimeKind.Process,
            Container = container,
            Kubernetes = kubernetes,
            Command = isContainer ? NonBlankText("command")?.Value : ReadCommand(workingDir),
            Args = [.. _section.Strings("args").Select(arg => arg.Value!)],
            Env = ReadEnv(),
            WorkingDir = workingDir,
            Project = project,
            Port = port?.Value,
            MeshPort = meshPort?.Value ?? 0,
            Url = url,
            Ready = ReadReady(protocol, runtime),
            Hosts = [.. hosts.Select(host => host.Value)],
            Paths = [.. paths.Select(path => path.Value)],
            GrpcServices = [.. grpcServices.Select(name => name.Value)],
            Protocol = protocol ?? Defaults.Protocol,
            IdleTimeout = ReadDuration("idleTimeout", Defaults.IdleTimeout, allowZero: false, allowNever: true),
            StartTimeout = ReadDuration("startTimeout", Defaults.StartTimeout, allowZero: false, allowNever: false),
            StopGracePeriod = ReadDuration("stopGracePeriod", Defaults.StopGracePeriod, allowZero: true, allowNever: false),
            RequestTimeout = ReadRequestTimeout(protocol),
            MaxWaitingRequests = _section.Integer("maxWaitingRequests", 1, MeshSettingsReader.MaxWaitingRequestsLimit),
            HttpProxy = _section.Bool("httpProxy") ?? false,
            DependsOn = [.. dependsOn.Select(d => d.Value)],
            Calls = [.. calls.Select(c => c.Value).Distinct(StringComparer.Ordinal)],
            Prewarm = _section.Bool("prewarm") ?? Defaults.Prewarm,
            Location = _diagnostics.At(_nameNode),
        };
        // A bridged container's port is inside the container, so it cannot clash with anything on the host.
        var hostPort = spec.ListensOnHost ? port : null;
        return new ParsedService(spec, meshPort, hostPort, WithLocation(url?.Port, "url"), hosts, paths, grpcServices, dependsOn, calls);
    }

    private YamlMappingNode? ReadBody(YamlNode body)
    {
        switch (body)
        {
            case YamlMappingNode mapping:
                return mapping;
            case var _ when ManifestNodes.IsNull(body):
                // 'orders:' alone reads as a service with no settings; the missing command is reported below.
                return null;
            default:
                _diagnostics.Report(body, $"service '{_name}' must be a mapping of its settings (runtime, command, port…)");
                return null;
        }
    }

    private void CheckName()
    {
        if (!ManifestValues.IsValidServiceName(_name))
        {
            Report(_nameNode, $"service name '{_name}' must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters");
        }
    }

    /// <summary>The runtime; null when it is invalid or not available yet (reported), so runtime-specific checks are skipped.</summary>
    private RuntimeKind? ReadRuntime()
    {
        if (!_section.Has("runtime"))
        {
            return RuntimeKind.Process;
        }

        if (_section.Scalar("runtime", "one of process, docker, kubernetes or remote") is not { } node)
        {
            return null;
        }

        switch (node.Value)
        {
            case "process":
                return RuntimeKind.Process;
            case "remote":
                return RuntimeKind.Remote;
            case "docker":
                return RuntimeKind.Docker;
            case "kubernetes":
                return RuntimeKind.Kubernetes;
            default:
                Report(node, $"unknown runtime '{node.Value}' (expected process, docker, kubernetes or remote)");
                return null;
        }
    }

    private void CheckFieldsOfRuntime(RuntimeKind? runtime)
    {
        ReportKeysOnlyFor(runtime, RuntimeKind.Docker, ContainerKeys, "runtime docker");
        ReportKeysOnlyFor(runtime, RuntimeKind.Kubernetes, KubernetesKeys, "runtime kubernetes");
        if (runtime is not (RuntimeKind.Docker or RuntimeKind.Kubernetes or null) && _section.KeyNode("image") is { } image)
        {
            Report(image, $"{_section.Describe("image")} is only for runtime docker or kubernetes");
        }

        switch (runtime)
        {
            case RuntimeKind.Process:
                CheckProcessFields();
                break;
            case RuntimeKind.Remote:
                CheckRemoteFields();
                break;
            case RuntimeKind.Docker:
                CheckContainerFields();
                break;
            case RuntimeKind.Kubernetes:
                CheckKubernetesFields();
                break;
        }
    }

    private void ReportKeysOnlyFor(RuntimeKind? runtime, RuntimeKind owner, ImmutableArray<string> keys, string what)
    {
        if (runtime == owner || runtime is null)
        {
            return;
        }

        foreach (var key in keys)
        {
            if (_section.KeyNode(key) is { } node)
            {
                Report(node, $"{_section.Describe(key)} is only for {what}");
            }
        }
    }

    private void CheckProcessFields()
    {
        if (_section.KeyNode("url") is { } url)
        {
            Report(url, $"{_section.Describe("url")} is only for runtime remote");
        }

        var hasCommand = _section.Has("command");
        var hasProject = _section.Has("project");
        if (!hasCommand && !hasProject)
        {
            // 'comand:' already got "did you mean 'command'?": the fix is the same, one message is enough.
            if (!_section.Misspelt("command") && !_section.Misspelt("project"))
            {
                Report(_nameNode, $"service '{_name}' needs 'command' or 'project'");
            }
        }
        else if (hasCommand && hasProject)
        {
            Report(_section.KeyNode("project")!, $"service '{_name}' has both 'command' and 'project'; keep one");
        }
    }

    private void CheckRemoteFields()
    {
        foreach (var key in LaunchKeys)
        {
            if (_section.KeyNode(key) is { } node)
            {
                Report(node, $"{_section.Describe(key)} does not apply to runtime remote (the mesh never launches it)");
            }
        }

        if (!_section.Has("url"))
        {
            Report(_nameNode, $"service '{_name}' has runtime remote and needs 'url'");
        }
    }

    private string ReadWorkingDir(string? project)
    {
        if (NonBlankText("workingDir") is not { } node)
        {
            // A .NET project runs from its own folder, as the IDE and Aspire run it, so appsettings.json is found.
            return project is not null && Path.GetDirectoryName(project) is { } projectDir && Directory.Exists(projectDir) ? projectDir : _manifestDirectory;
        }

        var path = Path.GetFullPath(node.Value!, _manifestDirectory);
        if (!Directory.Exists(path))
        {
            Report(node, $"{_section.Describe("workingDir")} does not exist: {path}");
        }

        return path;
    }

    private string? ReadProject()
    {
        if (NonBlankText("project") is not { } node)
        {
            return null;
        }

        var path = Path.GetFullPath(node.Value!, _manifestDirectory);
        if (!path.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase))
        {
            Report(node, $"{_section.Describe("project")} must be a .csproj file");
        }
        else if (!File.Exists(path))
        {
            Report(node, $"{_section.Describe("project")} does not exist: {path}");
        }

        return path;
    }

    private string? ReadCommand(string workingDir)
    {
        if (NonBlankText("command") is not { Value: { } command })
        {
            return null;
        }

        // A bare name is left for the runtime to find on PATH; anything with a slash is a path from the working directory.
        var isPath = command.Contains('/') || command.Contains(Path.DirectorySeparatorChar);
        return isPath ? Path.GetFullPath(command, workingDir) : command;
    }

    private ImmutableDictionary<string, string> ReadEnv()
    {
        if (_section.Mapping("env", "a mapping of variable names to values") is not { } mapping)
        {
            return ImmutableDictionary<string, string>.Empty;
        }

        var env = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in MergeKeys.Entries(mapping, _section.ReportBadMerge))
        {
            if (ReadEnvEntry(keyNode, valueNode) is var (name, value))
            {
                env[name] = value;
            }
        }

        return env.ToImmutable();
    }

    private (string Name, string Value)? ReadEnvEntry(YamlNode keyNode, YamlNode valueNode)
    {
        if (keyNode is not YamlScalarNode { Value: { } name } || ManifestNodes.IsNull(keyNode))
        {
            Report(keyNode, $"{_section.Describe("env")} must be a mapping of variable names to values");
            return null;
        }

        if (!ManifestValues.IsValidEnvironmentName(name))
        {
            Report(keyNode, $"env '{name}' of service '{_name}' is not a valid variable name (use letters, digits and '_', not starting with a digit)");
            return null;
        }

        // Every runtime sets PORT after the service's env, so a PORT here would be overridden without a word.
        if (name == "PORT")
        {
            Report(keyNode, $"env 'PORT' of service '{_name}' would be overridden: the mesh sets PORT from 'port:' at every launch; write 'port: N' for a fixed port");
            return null;
        }

        if (ManifestNodes.IsNull(valueNode))
        {
            Report(keyNode, $"env '{name}' of service '{_name}' has no value; write {name}: \"\" for an empty string");
            return null;
        }

        if (valueNode is not YamlScalarNode { Value: { } value })
        {
            Report(valueNode, $"env '{name}' of service '{_name}' must be a string");
            return null;
        }

        return (name, value);
    }

    /// <summary>The fixed port; null for <c>auto</c> (the default), when absent or when invalid (reported).</summary>
    private Located<int>? ReadPort(ContainerSpec? container)
    {
        const string Expected = "'auto' or a number from 1 to 65535";
        if (_section.Scalar("port", Expected) is not { } node)
        {
            if (container is { Network: ContainerNetwork.Bridge } && _bodyIsUsable && !_section.Has("port"))
            {
                Report(_nameNode, $"service '{_name}' has network bridge and needs 'port': the port the app listens on inside the container");
            }

            return null;
        }

        if (node.Value == "auto")
        {
            if (container is { Network: ContainerNetwork.Bridge })
            {
                Report(node, $"{_section.Describe("port")} must be the number the app listens on inside the container: with network bridge the mesh cannot choose it");
            }

            return null;
        }

        if (ManifestValues.TryParsePort(node.Value!, out var port))
        {
            return new Located<int>(port, _diagnostics.At(node));
        }

        Report(node, $"{_section.Describe("port")} must be {Expected}");
        return null;
    }

    /// <summary>What the mesh port speaks; null when invalid (reported), so the checks that depend on it are skipped.</summary>
    private ServiceProtocol? ReadProtocol()
    {
        if (!_section.Has("protocol"))
        {
            return Defaults.Protocol;
        }

        if (_section.Scalar("protocol", "http or tcp") is not { } node)
        {
            return null;
        }

        switch (node.Value)
        {
            case "http":
                return ServiceProtocol.Http;
            case "tcp":
                return ServiceProtocol.Tcp;
            default:
                Report(node, $"unknown protocol '{node.Value}' (expected http or tcp)");
                return null;
        }
    }

    private Uri? ReadUrl()
    {
        if (NonBlankText("url") is not { Value: { } text } node)
        {
            return null;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            Report(node, $"{_section.Describe("url")} must be an absolute http or https URL like http://127.0.0.1:9000");
            return null;
        }

        if (!ManifestValues.IsLoopbackHost(url))
        {
            Report(node, $"{_section.Describe("url")} must point at 127.0.0.0/8, ::1 or localhost: the mesh only forwards to loopback");
            return null;
        }

        return url;
    }

    private ReadyProbeSpec ReadReady(ServiceProtocol? protocol, RuntimeKind? runtime)
    {
        // A container without 'ready' is ready when its image's own HEALTHCHECK passes (or, without one, when its port accepts).
        var fallback = runtime == RuntimeKind.Docker ? ReadyProbeSpec.ImageHealthcheck : ReadyProbeSpec.Tcp;
        if (_section.Mapping("ready", "{ http: /path }, { grpc: true }, { tcp: true }, { exec: [command, args…] }, { socket: true } or { notify: true }") is not { } mapping)
        {
            return fallback;
        }

        var ready = new ManifestSection(mapping, $"in ready of service '{_name}'", $"in ready of service '{_name}'", ReadyKeys, _diagnostics);
        if (ready.KeyNode("service") is { } service && !ready.Has("grpc"))
        {
            Report(service, $"{ready.Describe("service")} is only for {{ grpc: true }}");
        }

        var socket = ReadHandshake(ready, "socket", runtime, out var socketRefused);
        var notify = ReadHandshake(ready, "notify", runtime, out var notifyRefused);
        var probes = ProbeKeys.Where(ready.Has).ToList();
        if (probes.Count == 0 && (socketRefused || notifyRefused))
        {
            // Already said: what the service asked for does not work where it runs; "no probe" would repeat it.
            return fallback;
        }

        if (notify && probes.Count > 0)
        {
            Report(ready.KeyNode(probes[0])!, $"{ready.Describe(probes[0])} cannot go with notify: true, whose READY=1 is the readiness signal itself; leave one of them out");
            return ReadyProbeSpec.Tcp with { Socket = socket, Notify = true };
        }

        if (probes.Count == 0 && (socket || notify))
        {
            // Socket activation alone: a tcp "probe" is the accept queue itself, ready from the spawn on.
            return ReadyProbeSpec.Tcp with { Socket = socket, Notify = notify };
        }

        if (probes.Count != 1)
        {
            Report(mapping, $"{_section.Describe("ready")} must have exactly one of 'http', 'tcp', 'grpc' or 'exec'");
            return fallback;
        }

        // The mesh pipes a tcp service's bytes without looking at them; nothing says the service speaks HTTP at all.
        if (protocol == ServiceProtocol.Tcp && probes[0] is not ("tcp" or "exec"))
        {
            Report(ready.KeyNode(probes[0])!, $"service '{_name}' has protocol tcp: it speaks no HTTP, so 'ready' must be {{ tcp: true }} or {{ exec: [...] }}");
            return fallback;
        }

        var probe = probes[0] switch
        {
            "tcp" => ReadTcpReady(ready),
            "grpc" => ReadGrpcReady(ready),
            "exec" => ReadExecReady(ready, runtime, fallback),
            _ => ReadHttpReady(ready),
        };
        return socket ? probe with { Socket = true } : probe;
    }

    /// <summary>
    /// 'socket' or 'notify' of 'ready': true opts in. Both are a handshake between the mesh and a process it spawns
    /// itself, which a container or a remote upstream cannot take part in.
    /// </summary>
    private bool ReadHandshake(ManifestSection ready, string key, RuntimeKind? runtime, out bool refused)
    {
        var value = ready.Bool(key);
        // An invalid value is reported by Bool; like a refused one, it should not also read as "no probe at all".
        refused = value is null && ready.Has(key);
        if (value != true)
        {
            return false;
        }

        if (runtime is RuntimeKind.Docker or RuntimeKind.Kubernetes or RuntimeKind.Remote)
        {
            var why = key == "socket" ? "the listening socket is handed to a process as it is spawned" : "NOTIFY_SOCKET is a socket on the mesh's own machine";
            Report(ready.KeyNode(key)!, $"{ready.Describe(key)} is only for services the mesh runs as local processes (command or project), not runtime {runtime.Value.ToString().ToLowerInvariant()}: {why}");
            refused = true;
            return false;
        }

        return true;
    }

    private ReadyProbeSpec ReadExecReady(ManifestSection ready, RuntimeKind? runtime, ReadyProbeSpec fallback)
    {
        if (runtime is not (RuntimeKind.Docker or RuntimeKind.Kubernetes or null))
        {
            Report(ready.KeyNode("exec")!, $"{ready.Describe("exec")} runs a command inside the container, so it is only for runtime docker or kubernetes");
            return fallback;
        }

        var command = ready.Strings("exec");
        if (command.IsEmpty)
        {
            if (ready.Value("exec") is YamlSequenceNode)
            {
                Report(ready.KeyNode("exec")!, $"{ready.Describe("exec")} must name a command, like [pg_isready, -U, postgres]");
            }

            return fallback;
        }

        return ReadyProbeSpec.Exec(command.Select(c => c.Value!));
    }

    private ReadyProbeSpec ReadTcpReady(ManifestSection ready)
    {
        // 'tcp: false' would mean "no probe", which the mesh does not offer: traffic waits for readiness.
        if (ready.Bool("tcp") == false)
        {
            Report(ready.Field("tcp")!.Value.Value, $"{ready.Describe("tcp")} must be true");
        }

        return ReadyProbeSpec.Tcp;
    }

    private ReadyProbeSpec ReadHttpReady(ManifestSection ready)
    {
        if (ready.Text("http") is not { } path)
        {
            return ReadyProbeSpec.Tcp;
        }

        if (!path.StartsWith('/') || path.Any(char.IsWhiteSpace))
        {
            Report(ready.Field("http")!.Value.Value, $"{ready.Describe("http")} must be a path starting with '/'");
            return ReadyProbeSpec.Tcp;
        }

        return new ReadyProbeSpec(ReadyKind.Http, path);
    }

    private ReadyProbeSpec ReadGrpcReady(ManifestSection ready)
    {
        // Like 'tcp: false', 'grpc: false' would mean "no probe".
        var enabled = ready.Bool("grpc");
        if (enabled == false)
        {
            Report(ready.Field("grpc")!.Value.Value, $"{ready.Describe("grpc")} must be true");
        }

        var service = ReadHealthCheckService(ready);
        return enabled == true ? new ReadyProbeSpec(ReadyKind.Grpc, GrpcService: service) : ReadyProbeSpec.Tcp;
    }

    /// <summary>The name asked for in <c>grpc.health.v1.Health/Check</c>; null (the server as a whole) when absent or invalid (reported).</summary>
    private string? ReadHealthCheckService(ManifestSection ready)
    {
        if (ready.Scalar("service", GrpcServiceName) is not { Value: { } name } node)
        {
            return null;
        }

        if (name.Length == 0)
        {
            // gRPC health checks ask for "" to mean the whole server; here that is said by leaving 'service' out.
            Report(node, $"{ready.Describe("service")} is empty; leave it out to check the server as a whole");
            return null;
        }

        if (!ManifestValues.IsValidGrpcServiceName(name))
        {
            Report(node, $"{ready.Describe("service")} must be {GrpcServiceName}");
            return null;
        }

        return name;
    }

    private ManifestSection OpenRoutes(ServiceProtocol? protocol)
    {
        var owner = $"in routes of service '{_name}'";
        if (protocol == ServiceProtocol.Tcp && _section.KeyNode("routes") is { } key)
        {
            // One message says it all; the routes themselves are not read.
            Report(key, $"service '{_name}' has protocol tcp: it is reached on its mesh port only, so 'routes' does not apply");
            return new ManifestSection(null, owner, owner, RouteKeys, _diagnostics);
        }

        var mapping = _section.Mapping("routes", "a mapping with 'hosts', 'paths' and/or 'grpc'");
        return new ManifestSection(mapping, owner, owner, RouteKeys, _diagnostics);
    }

    private ImmutableArray<Located<string>> ReadHosts(ManifestSection routes)
    {
        var hosts = ImmutableArray.CreateBuilder<Located<string>>();
        foreach (var node in routes.Strings("hosts"))
        {
            if (ManifestValues.IsValidHostName(node.Value!))
            {
                hosts.Add(new Located<string>(node.Value!, _diagnostics.At(node)));
            }
            else
            {
                Report(node, $"host '{node.Value}' of service '{_name}' is not a valid host name");
            }
        }

        return hosts.ToImmutable();
    }

    private ImmutableArray<Located<string>> ReadPaths(ManifestSection routes)
    {
        var paths = ImmutableArray.CreateBuilder<Located<string>>();
        foreach (var node in routes.Strings("paths"))
        {
            if (CheckPath(node.Value!) is { } problem)
            {
                Report(node, $"path '{node.Value}' of service '{_name}' {problem}");
            }
            else
            {
                paths.Add(new Located<string>(node.Value!, _diagnostics.At(node)));
            }
        }

        return paths.ToImmutable();
    }

    private ImmutableArray<Located<string>> ReadGrpcServices(ManifestSection routes)
    {
        var services = ImmutableArray.CreateBuilder<Located<string>>();
        foreach (var node in routes.Strings("grpc"))
        {
            if (ManifestValues.IsValidGrpcServiceName(node.Value!))
            {
                services.Add(new Located<string>(node.Value!, _diagnostics.At(node)));
            }
            else
            {
                Report(node, $"gRPC service '{node.Value}' of service '{_name}' is not {GrpcServiceName}");
            }
        }

        return services.ToImmutable();
    }

    /// <summary>What is wrong with a path prefix, or null.</summary>
    private string? CheckPath(string path) => path switch
    {
        _ when !path.StartsWith('/') => "must start with '/'",
        // '/' would swallow every request on the shared port, hiding all other services' routes.
        "/" => $"would take every request; use a longer prefix such as '/{_name}'",
        _ when path.Any(c => char.IsWhiteSpace(c) || c is '?' or '#') => "must not contain spaces, '?' or '#'",
        _ => null,
    };

    private TimeSpan ReadDuration(string key, TimeSpan fallback, bool allowZero, bool allowNever)
    {
        var expected = (allowZero ? "a duration" : "a duration greater than zero")
            + " like 500ms, 30s, 10m or 1h" + (allowNever ? ", or 'never'" : "");
        if (_section.Scalar(key, expected) is not { Value: { } text } node)
        {
            return fallback;
        }

        if (allowNever && text == "never")
        {
            return Timeout.InfiniteTimeSpan;
        }

        if (!ManifestValues.TryParseDuration(text, out var milliseconds) || (milliseconds == 0 && !allowZero))
        {
            Report(node, $"{_section.Describe(key)} must be {expected}");
            return fallback;
        }

        if (milliseconds > ManifestValues.MaxDuration.TotalMilliseconds)
        {
            var hint = allowNever ? "; use 'never' to keep it running" : "";
            Report(node, $"{_section.Describe(key)} must be at most {ManifestValues.MaxDuration.TotalHours:0}h{hint}");
            return fallback;
        }

        return TimeSpan.FromMilliseconds(milliseconds);
    }

    /// <summary>The per-request timeout; null when absent, 'never' or invalid (reported). Requests are HTTP's: a tcp service has none.</summary>
    private TimeSpan? ReadRequestTimeout(ServiceProtocol? protocol)
    {
        if (protocol == ServiceProtocol.Tcp && _section.KeyNode("requestTimeout") is { } key)
        {
            Report(key, $"service '{_name}' has protocol tcp: the mesh pipes its connections without seeing requests, so 'requestTimeout' does not apply");
            return null;
        }

        var timeout = ReadDuration("requestTimeout", Timeout.InfiniteTimeSpan, allowZero: false, allowNever: true);
        return timeout == Timeout.InfiniteTimeSpan ? null : timeout;
    }

    /// <summary>A string field that must say something: blank counts as no value (reported).</summary>
    private YamlScalarNode? NonBlankText(string key)
    {
        if (_section.Scalar(key, "a string") is not { } node)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(node.Value))
        {
            Report(node, $"{_section.Describe(key)} has no value");
            return null;
        }

        return node;
    }

    private Located<int>? WithLocation(int? value, string key) =>
        value is { } port ? new Located<int>(port, _diagnostics.At(_section.Field(key)!.Value.Value)) : null;

    private void Report(YamlNode node, string message) => _diagnostics.Report(node, message);
}
