using System.Collections.Immutable;
using MeshDev.Catalog;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Authoring.Compose;

/// <summary>Turns one compose service into a <c>runtime: docker</c> manifest service; what it cannot carry over is reported.</summary>
internal sealed class ServiceImporter
{
    // The keys this importer maps; every other key of a service is reported as ignored.
    private static readonly ImmutableHashSet<string> MappedKeys =
    [
        "image", "build", "pull_policy", "command", "entrypoint", "environment", "env_file", "ports", "expose", "network_mode",
        "volumes", "depends_on", "healthcheck", "stop_grace_period", "working_dir",
    ];

    // Why some ignored keys do not matter on the mesh, said along with "not supported".
    private static readonly ImmutableDictionary<string, string> IgnoredBecause = new Dictionary<string, string>
    {
        ["restart"] = "the mesh relaunches a service when it is next called",
        ["networks"] = "services reach each other through the mesh",
        ["links"] = "services reach each other through the mesh",
    }.ToImmutableDictionary();

    private readonly ImportContext _context;
    private readonly string _composeName;
    private readonly YamlScalarNode _nameNode;
    private readonly string _path;
    private readonly Dictionary<string, (YamlScalarNode Key, YamlNode Value)> _fields = new(StringComparer.Ordinal);

    private ServiceImporter(ImportContext context, YamlScalarNode nameNode)
    {
        _context = context;
        _nameNode = nameNode;
        _composeName = nameNode.Value ?? "";
        _path = $"services.{_composeName}";
    }

    private ComposeReader Reader => _context.Reader;

    /// <summary>The manifest service; null when the compose service is not a mapping (reported).</summary>
    public static ImportedService? Import(ImportContext context, YamlScalarNode nameNode, YamlNode body) =>
        new ServiceImporter(context, nameNode).Import(body);

    private ImportedService? Import(YamlNode body)
    {
        if (body is not YamlMappingNode mapping)
        {
            Reader.Report(ManifestNodes.IsNull(body) ? _nameNode : body, $"{_path} must be a mapping of its settings (skipped)");
            return null;
        }

        foreach (var (key, value) in Reader.Entries(mapping))
        {
            var name = key.Value ?? "";
            if (MappedKeys.Contains(name))
            {
                // An empty value ('environment:' with everything commented out) says nothing, like an absent key.
                if (!ManifestNodes.IsNull(value))
                {
                    _fields[name] = (key, value);
                }
            }
            else
            {
                ReportIgnored(key, name, value);
            }
        }

        var (image, pull) = ReadImage();
        var (command, args) = ReadCommandLine();
        var env = EnvironmentMapping.Read(_context, _path, Value("env_file"), Value("environment"));
        var (port, meshPort) = ReadPorts(image);
        var ready = Value("healthcheck") is { } healthcheck ? HealthcheckMapping.Read(healthcheck, $"{_path}.healthcheck", Reader) : default;
        return new ImportedService
        {
            Name = _context.ServiceNames[_composeName],
            ComposeName = _nameNode,
            Image = image,
            Pull = pull,
            Command = command,
            Args = args,
            Env = env,
            WorkingDir = ReadWorkingDir(),
            Port = port,
            MeshPort = meshPort,
            Protocol = KnownImages.SpeaksTcp(image, port) ? "tcp" : null,
            Volumes = ReadVolumes(),
            DependsOn = ReadDependsOn(),
            ReadyExec = ready.Exec,
            ReadyTcp = ready.Tcp,
            StopGracePeriod = ReadStopGracePeriod(),
        };
    }

    private void ReportIgnored(YamlScalarNode key, string name, YamlNode value)
    {
        var path = $"{_path}.{name}";
        if (name.StartsWith("x-", StringComparison.Ordinal))
        {
            Reader.Report(key, $"{path} is an extension field (ignored)");
        }
        else if (name == "privileged")
        {
            // 'privileged: false' asks for nothing; only true needs saying.
            if (Reader.Text(value) is { } text && ManifestValues.TryParseBool(text, out var privileged) && privileged)
            {
                Reader.Report(key, $"{path}: MeshDev never runs privileged containers (ignored)");
            }
        }
        else
        {
            Reader.Report(key, IgnoredBecause.TryGetValue(name, out var why) ? $"{path} is not supported (ignored): {why}" : $"{path} is not supported (ignored)");
        }
    }

    private YamlNode? Value(string key) => _fields.TryGetValue(key, out var field) ? field.Value : null;

    private YamlScalarNode? Key(string key) => _fields.TryGetValue(key, out var field) ? field.Key : null;

    private (string? Image, string? Pull) ReadImage()
    {
        var image = Value("image") is { } imageNode ? Reader.Scalar(imageNode, $"{_path}.image", "an image name") : null;
        string? pull = null;
        if (Key("build") is { } build)
        {
            // Compose names what it builds {project}-{service}; there is nothing to pull for it.
            image ??= $"{_context.ProjectName}-{_composeName.ToLowerInvariant()}";
            pull = "never";
            var how = BuildCommand.For(_context, Value("build")!, image) is { } command ? $"`{command}` or `docker compose build`" : "`docker compose build`";
            Reader.Report(build, $"{_path}.build: built by compose; build it first with {how} (the manifest runs its image {image})");
        }
        else if (image is null)
        {
            Reader.Report(_nameNode, $"{_path} has neither image nor build; add 'image' to the manifest");
        }

        if (Value("pull_policy") is { } policyNode && Reader.Scalar(policyNode, $"{_path}.pull_policy", "a pull policy") is { } policy)
        {
            pull = policy switch
            {
                "always" => "always",
                "never" or "build" => "never",
                "missing" or "if_not_present" => null,
                _ => Unsupported(policyNode, $"{_path}.pull_policy '{policy}' is not supported; the manifest pulls when the image is missing", pull),
            };
        }

        return (image, pull);
    }

    /// <summary>
    /// Compose's <c>entrypoint</c> and <c>command</c> are Docker's ENTRYPOINT and CMD; the manifest's <c>command</c> is
    /// one program, so an entrypoint's first word becomes <c>command</c> and the rest go before the arguments.
    /// </summary>
    private (string? Command, ImmutableArray<string> Args) ReadCommandLine()
    {
        var arguments = Value("command") is { } commandNode ? Words(commandNode, $"{_path}.command") : [];
        if (Value("entrypoint") is not { } entrypointNode)
        {
            return (null, arguments);
        }

        var entrypoint = Words(entrypointNode, $"{_path}.entrypoint");
        if (entrypoint.Length == 0)
        {
            Reader.Report(entrypointNode, $"{_path}.entrypoint is empty: the manifest cannot clear the image's ENTRYPOINT (ignored)");
            return (null, arguments);
        }

        if (Value("command") is null)
        {
            Reader.Report(Key("entrypoint")!, $"{_path}.entrypoint replaces the image's ENTRYPOINT, so the image's CMD is dropped too (as Docker does); put its arguments in 'args' if it needs them");
        }

        return (entrypoint[0], [.. entrypoint.Skip(1), .. arguments]);
    }

    /// <summary>A command line: a list as it is, a string split like a shell would.</summary>
    private ImmutableArray<string> Words(YamlNode value, string path)
    {
        if (value is YamlSequenceNode sequence)
        {
            return [.. sequence.Children.Select(item => Reader.Scalar(item, path, "a list of strings")).OfType<string>()];
        }

        if (Reader.Scalar(value, path, "a string or a list of strings") is not { } text)
        {
            return [];
        }

        var words = ShellWords.Split(text, out var problem);
        if (problem is not null)
        {
            Reader.Report(value, $"{path} {problem}; it is split as if it were closed at the end");
        }

        return [.. words];
    }

    /// <summary>
    /// The first port entry gives the port the app listens on in the container. Every imported service runs on the host
    /// network (a bridged container cannot reach the mesh on the host's loopback, and the engine may have no bridge), so
    /// the container port is a host port; a published host port that differs becomes the service's mesh port, so what
    /// called <c>localhost:8080</c> before keeps working.
    /// </summary>
    private (int? Port, int? MeshPort) ReadPorts(string? image)
    {
        ReadNetworkMode();
        var first = Value("ports") is { } ports ? FirstPort(ports, $"{_path}.ports") : null;
        var port = first?.ContainerPort ?? FirstExposed() ?? KnownImages.DefaultPort(image);
        if (port is null)
        {
            Reader.Report(_nameNode, $"{_path} has no ports: set 'port' to the port it listens on, or it must listen on $PORT (port: auto)");
        }

        // Published on its own port, the container port already is that host port: the mesh port is assigned instead.
        var meshPort = first?.HostPort is { } hostPort && hostPort != first.Value.ContainerPort ? hostPort : (int?)null;
        if (meshPort is < 1024)
        {
            Reader.Report(Key("ports")!, $"{_path}.ports publishes {meshPort}, which becomes its meshPort: ports below 1024 need root; choose another meshPort");
        }

        return (port, meshPort);
    }

    private PortMapping? FirstPort(YamlNode ports, string path)
    {
        PortMapping? first = null;
        foreach (var item in Reader.Items(ports, path))
        {
            if (PortText(item, path) is not { } text)
            {
                continue;
            }

            if (PortMapping.Parse(text, out var problem) is not { } mapping)
            {
                Reader.Report(item, $"{path} '{text}' {problem} (ignored)");
            }
            else if (first is { } kept)
            {
                Reader.Report(item, $"{path} '{text}' is left out: a manifest service has one port (the first, {kept.ContainerPort})");
            }
            else
            {
                first = mapping;
            }
        }

        return first;
    }

    /// <summary>A port entry in the short syntax; the long syntax (<c>target</c>, <c>published</c>…) is written that way first.</summary>
    private string? PortText(YamlNode item, string path)
    {
        if (item is YamlScalarNode)
        {
            return Reader.Scalar(item, path, "a list of ports");
        }

        if (item is not YamlMappingNode mapping)
        {
            Reader.Report(item, $"{path} must be a list of ports (ignored)");
            return null;
        }

        string? target = null, published = null, hostIp = null, protocol = null;
        foreach (var (key, value) in Reader.Entries(mapping))
        {
            var text = Reader.Text(value);
            switch (key.Value)
            {
                case "target":
                    target = text;
                    break;
                case "published":
                    published = text;
                    break;
                case "host_ip":
                    hostIp = text is not null && text.Contains(':') ? $"[{text}]" : text;
                    break;
                case "protocol":
                    protocol = text;
                    break;
                case "mode" or "name" or "app_protocol":
                    // Swarm's routing mode and descriptive names change nothing for one local container.
                    break;
                default:
                    Reader.Report(key, $"{path}.{key.Value} is not supported (ignored)");
                    break;
            }
        }

        if (target is null)
        {
            Reader.Report(item, $"{path} entry has no 'target' (ignored)");
            return null;
        }

        var host = hostIp is null ? published is null ? "" : $"{published}:" : $"{hostIp}:{published}:";
        return $"{host}{target}{(protocol is null ? "" : "/" + protocol)}";
    }

    /// <summary>The first port of <c>expose</c>, which only documents where the app listens.</summary>
    private int? FirstExposed()
    {
        if (Value("expose") is not { } expose)
        {
            return null;
        }

        foreach (var item in Reader.Items(expose, $"{_path}.expose"))
        {
            if (Reader.Scalar(item, $"{_path}.expose", "a list of ports") is { } text && PortMapping.Parse(text, out _) is { Published: false } mapping)
            {
                return mapping.ContainerPort;
            }
        }

        return null;
    }

    /// <summary>Reports a network mode other than host: the manifest runs every imported service on the host network.</summary>
    private void ReadNetworkMode()
    {
        if (Value("network_mode") is { } value && Reader.Scalar(value, $"{_path}.network_mode", "a network mode") is { } mode && mode != "host")
        {
            Reader.Report(value, $"{_path}.network_mode '{mode}' is not carried over: imported services use the host network, where they reach each other through the mesh");
        }
    }

    private ImmutableArray<string> ReadVolumes()
    {
        if (Value("volumes") is not { } volumes)
        {
            return [];
        }

        var path = $"{_path}.volumes";
        var result = ImmutableArray.CreateBuilder<string>();
        foreach (var item in Reader.Items(volumes, path))
        {
            var (shown, outcome) = item switch
            {
                YamlMappingNode mapping => LongVolume(mapping, path),
                _ when Reader.Scalar(item, path, "a list of volumes") is { } text => ($"'{text}'", VolumeMapping.FromShort(text, _context.HostPath)),
                _ => ("", default),
            };
            if (outcome.Volume is { } volume)
            {
                result.Add(volume);
                if (outcome.Problem is { } dropped)
                {
                    Reader.Report(item, $"{path} {shown}: {dropped}");
                }
            }
            else if (outcome.Problem is { } problem)
            {
                Reader.Report(item, $"{path} {shown} {problem} (ignored)");
            }
        }

        return result.ToImmutable();
    }

    /// <summary>The long syntax: <c>{ type: bind, source: ./data, target: /data, read_only: true }</c>.</summary>
    private (string Shown, VolumeMapping.Result Outcome) LongVolume(YamlMappingNode mapping, string path)
    {
        string type = "volume", source = "", target = "";
        var readOnly = false;
        var dropped = new List<string>();
        foreach (var (key, value) in Reader.Entries(mapping))
        {
            var text = Reader.Text(value) ?? "";
            switch (key.Value)
            {
                case "type":
                    type = text;
                    break;
                case "source":
                    source = text;
                    break;
                case "target":
                    target = text;
                    break;
                case "read_only":
                    readOnly = ManifestValues.TryParseBool(text, out var flag) && flag;
                    break;
                default:
                    dropped.Add($"'{key.Value}'");
                    break;
            }
        }

        var shown = $"{type} {(source.Length > 0 ? source + ":" : "")}{target}";
        if (type is not ("bind" or "volume"))
        {
            return (shown, new VolumeMapping.Result(null, $"is a {type} mount; the manifest has bind mounts and named volumes only"));
        }

        if (type == "volume" && source.Length == 0)
        {
            return (shown, new VolumeMapping.Result(null, "is an anonymous volume; give it a name or a host path to keep it in the manifest"));
        }

        return (shown, VolumeMapping.Mount(source, target, readOnly, _context.HostPath, dropped));
    }

    private ImmutableArray<string> ReadDependsOn()
    {
        if (Value("depends_on") is not { } dependsOn)
        {
            return [];
        }

        var path = $"{_path}.depends_on";
        var names = new List<(YamlNode Node, string Name)>();
        if (dependsOn is YamlMappingNode mapping)
        {
            foreach (var (key, value) in Reader.Entries(mapping))
            {
                names.Add((key, key.Value ?? ""));
                ReadCondition(key.Value ?? "", value, path);
            }
        }
        else
        {
            foreach (var item in Reader.Items(dependsOn, path))
            {
                if (Reader.Scalar(item, path, "a list of service names") is { } name)
                {
                    names.Add((item, name));
                }
            }
        }

        var result = ImmutableArray.CreateBuilder<string>();
        foreach (var (node, name) in names)
        {
            if (_context.ServiceNames.TryGetValue(name, out var manifestName))
            {
                result.Add(manifestName);
            }
            else
            {
                Reader.Report(node, $"{path} '{name}' is not a service of this file (ignored)");
            }
        }

        return result.ToImmutable();
    }

    private void ReadCondition(string dependency, YamlNode value, string path)
    {
        if (value is not YamlMappingNode mapping)
        {
            return;
        }

        foreach (var (key, item) in Reader.Entries(mapping))
        {
            if (key.Value == "condition" && Reader.Text(item) == "service_completed_successfully")
            {
                Reader.Report(item, $"{path}.{dependency}: the mesh does not wait for a service to complete; it launches {dependency} first and waits until it is ready");
            }
        }
    }

    private string? ReadWorkingDir()
    {
        if (Value("working_dir") is not { } value || Reader.Scalar(value, $"{_path}.working_dir", "a folder in the container") is not { } dir)
        {
            return null;
        }

        return dir.StartsWith('/') ? dir : Unsupported(value, $"{_path}.working_dir '{dir}' must be an absolute folder in the container (ignored)", (string?)null);
    }

    private string? ReadStopGracePeriod()
    {
        if (Value("stop_grace_period") is not { } value || Reader.Scalar(value, $"{_path}.stop_grace_period", "a duration") is not { } text)
        {
            return null;
        }

        return ComposeDuration.ToManifest(text) ?? Unsupported(value, $"{_path}.stop_grace_period '{text}' is not a duration like 10s or 1m30s (ignored)", (string?)null);
    }

    private T Unsupported<T>(YamlNode node, string message, T fallback)
    {
        Reader.Report(node, message);
        return fallback;
    }
}
