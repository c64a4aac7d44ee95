using System.Collections.Immutable;

namespace MeshDev.Catalog;

/// <summary>Where a service runs.</summary>
public enum RuntimeKind
{
    Process,
    Docker,
    Kubernetes,
    Remote,
}

/// <summary>How the mesh decides that a launched service is ready for traffic.</summary>
public enum ReadyKind
{
    Tcp,
    Http,

    /// <summary>The standard <c>grpc.health.v1.Health/Check</c> answers SERVING.</summary>
    Grpc,

    /// <summary>A command run inside the container exits with 0 (containers only).</summary>
    Exec,

    /// <summary>The image's own HEALTHCHECK command when it has one, else a TCP connect (the default for containers).</summary>
    ImageHealthcheck,
}

/// <summary>What a service's mesh port speaks.</summary>
public enum ServiceProtocol
{
    /// <summary>HTTP/1.1 and h2c (gRPC) on the same port, proxied by YARP.</summary>
    Http,

    /// <summary>Plain TCP: bytes are piped both ways (databases, caches).</summary>
    Tcp,
}

/// <summary>
/// The readiness probe of a service: a TCP connect, an HTTP GET that must answer 2xx/3xx, or a gRPC health check
/// (<see cref="GrpcService"/> is the name asked for; empty = the server as a whole). A local process may also take its
/// listening socket from the mesh (<see cref="Socket"/>) and say itself when it is ready (<see cref="Notify"/>).
/// </summary>
public sealed record ReadyProbeSpec(ReadyKind Kind, string? HttpPath = null, string? GrpcService = null)
{
    public static readonly ReadyProbeSpec Tcp = new(ReadyKind.Tcp);
    public static readonly ReadyProbeSpec ImageHealthcheck = new(ReadyKind.ImageHealthcheck);

    /// <summary>The command of an <see cref="ReadyKind.Exec"/> probe: program and arguments, run inside the container.</summary>
    public ImmutableArray<string> Command { get; init; } = [];

    /// <summary>
    /// Systemd socket activation: the mesh binds the service's port and hands the listening socket over at fd 3
    /// (<c>LISTEN_FDS=1</c>), so connections wait in the kernel's accept queue from the spawn on.
    /// </summary>
    public bool Socket { get; init; }

    /// <summary>The service says <c>READY=1</c> on <c>NOTIFY_SOCKET</c> (sd_notify) when it is ready; nothing is probed.</summary>
    public bool Notify { get; init; }

    public static ReadyProbeSpec Exec(IEnumerable<string> command) => new(ReadyKind.Exec) { Command = [.. command] };

    public override string ToString()
    {
        var probe = Kind switch
        {
            ReadyKind.Http => $"http {HttpPath}",
            ReadyKind.Grpc => string.IsNullOrEmpty(GrpcService) ? "grpc health" : $"grpc health of {GrpcService}",
            ReadyKind.Exec => $"exec {string.Join(' ', Command)}",
            ReadyKind.ImageHealthcheck => "the image's HEALTHCHECK, else tcp",
            _ => "tcp",
        };
        return (Socket, Notify) switch
        {
            (true, true) => "socket activation, READY=1 on NOTIFY_SOCKET",
            (false, true) => "READY=1 on NOTIFY_SOCKET",
            (true, false) => Kind == ReadyKind.Tcp ? "socket activation" : $"socket activation, then {probe}",
            _ => probe,
        };
    }
}

/// <summary>How a container is networked.</summary>
public enum ContainerNetwork
{
    /// <summary>The host's network: the container listens on the host's loopback and reaches the mesh at 127.0.0.1.</summary>
    Host,

    /// <summary>The engine's bridge: the container's port is published on 127.0.0.1 with a free host port.</summary>
    Bridge,
}

/// <summary>When the engine pulls a container's image.</summary>
public enum PullPolicy
{
    /// <summary>Only when the image is not present locally.</summary>
    Missing,

    /// <summary>Before every launch.</summary>
    Always,

    /// <summary>Never: a missing image fails the launch.</summary>
    Never,
}

/// <summary>What happens to an idle container.</summary>
public enum IdleAction
{
    /// <summary>Stopped and kept, so the next launch only starts it again.</summary>
    Stop,

    /// <summary>Stopped and removed.</summary>
    Remove,
}

/// <summary>A volume mounted into a container: a host folder (bind mount) or a named volume.</summary>
/// <param name="Source">Absolute host path for a bind mount, else the volume's name.</param>
public sealed record VolumeMount(string Source, string Target, bool ReadOnly)
{
    public bool IsBind => Source.StartsWith('/');

    public override string ToString() => $"{Source}:{Target}{(ReadOnly ? ":ro" : "")}";
}

/// <summary>The settings of a <c>runtime: docker</c> service.</summary>
public sealed record ContainerSpec
{
    public required string Image { get; init; }
    public ContainerNetwork Network { get; init; } = ContainerNetwork.Host;
    public ImmutableArray<VolumeMount> Volumes { get; init; } = [];
    public PullPolicy Pull { get; init; } = PullPolicy.Missing;
    public IdleAction OnIdle { get; init; } = IdleAction.Stop;

    /// <summary>The working directory inside the container; null keeps the image's.</summary>
    public string? WorkingDir { get; init; }

    /// <summary>null keeps the engine's default seccomp profile; <c>unconfined</c>, or the absolute path of a profile file.</summary>
    public string? Seccomp { get; init; }
}

/// <summary>A place in a manifest file, for error messages.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>The settings of a <c>runtime: kubernetes</c> service: a Deployment in the developer's own namespace.</summary>
public sealed record KubernetesSpec
{
    /// <summary>The image of the Deployment MeshDev generates; null when <see cref="Manifests"/> describe it.</summary>
    public string? Image { get; init; }

    /// <summary>The kubeconfig context; null = the current one.</summary>
    public string? Context { get; init; }

    /// <summary>The dev namespace; null = <c>meshdev-{user}</c>.</summary>
    public string? Namespace { get; init; }

    /// <summary>The team's own manifest files (absolute paths), server-side applied into the namespace instead of a generated Deployment.</summary>
    public ImmutableArray<string> Manifests { get; init; } = [];

    /// <summary>The Deployment to scale (with <see cref="Manifests"/>); null = the service's name.</summary>
    public string? Deployment { get; init; }

    /// <summary>Generated pods run as non-root (the default); false for images that need root.</summary>
    public bool RunAsNonRoot { get; init; } = true;

    /// <summary>The working directory inside the container; null keeps the image's.</summary>
    public string? WorkingDir { get; init; }
}

/// <summary>One validated service of the manifest.</summary>
public sealed record ServiceSpec
{
    public required string Name { get; init; }
    public RuntimeKind Runtime { get; init; } = RuntimeKind.Process;

    /// <summary>The container settings of a <c>runtime: docker</c> service; null for other runtimes.</summary>
    public ContainerSpec? Container { get; init; }

    /// <summary>The cluster settings of a <c>runtime: kubernetes</c> service; null for other runtimes.</summary>
    public KubernetesSpec? Kubernetes { get; init; }

    /// <summary>Program to run (process runtime; for docker and kubernetes it replaces the image's ENTRYPOINT). Resolved against <see cref="WorkingDir"/> when relative with a slash, else looked up on PATH.</summary>
    public string? Command { get; init; }
    public ImmutableArray<string> Args { get; init; } = [];
    public ImmutableDictionary<string, string> Env { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>Absolute working directory; defaults to the manifest's directory.</summary>
    public required string WorkingDir { get; init; }

    /// <summary>Absolute path of a .csproj to build once and run (the .NET shorthand), or null.</summary>
    public string? Project { get; init; }

    /// <summary>The port the service itself listens on; null means <c>auto</c> (a free port picked at each launch).</summary>
    public int? Port { get; init; }

    /// <summary>The service's stable port on the mesh (explicit or assigned from the range).</summary>
    public int MeshPort { get; init; }

    /// <summary>Upstream address of a <c>remote</c> service (e.g. <c>http://127.0.0.1:9000</c>).</summary>
    public Uri? Url { get; init; }

    public ReadyProbeSpec Ready { get; init; } = ReadyProbeSpec.Tcp;

    /// <summary>Host names routed to this service on the shared port, besides <c>{name}</c> and <c>{name}.localhost</c>.</summary>
    public ImmutableArray<string> Hosts { get; init; } = [];

    /// <summary>Path prefixes routed to this service on the shared port (e.g. <c>/orders</c>).</summary>
    public ImmutableArray<string> Paths { get; init; } = [];

    /// <summary>Fully-qualified gRPC service names routed to this service on the shared port (<c>/shop.orders.v1.Orders/*</c>).</summary>
    public ImmutableArray<string> GrpcServices { get; init; } = [];

    /// <summary>What the mesh port speaks: HTTP (with h2c/gRPC) or plain TCP.</summary>
    public ServiceProtocol Protocol { get; init; } = ServiceProtocol.Http;

    /// <summary>Stop after this long without traffic; <see cref="Timeout.InfiniteTimeSpan"/> = never.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Time between SIGTERM and SIGKILL when stopping.</summary>
    public TimeSpan StopGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Services launched (and ready) before this one is launched.</summary>
    public ImmutableArray<string> DependsOn { get; init; } = [];

    /// <summary>
    /// The services it calls (<c>calls:</c>), declared for paths traffic rarely shows: launched beside it when it launches
    /// (see <see cref="MeshSettings.Prewarm"/>), as the callees the mesh has seen it call are.
    /// </summary>
    public ImmutableArray<string> Calls { get; init; } = [];

    /// <summary>Whether it is launched ahead of a call when a service that calls it launches (<c>prewarm: false</c> opts out).</summary>
    public bool Prewarm { get; init; } = true;

    /// <summary>
    /// How long the service may send nothing during an exchange before the mesh ends it (504 naming the service when no
    /// answer started); null (the default) waits as long as the caller does, so a developer paused at a breakpoint is
    /// never cut off.
    /// </summary>
    public TimeSpan? RequestTimeout { get; init; }

    /// <summary>
    /// How many requests may wait for a launch of this service at once; the next one gets 503 at once.
    /// null = the mesh's <see cref="MeshSettings.MaxWaitingRequests"/>.
    /// </summary>
    public int? MaxWaitingRequests { get; init; }

    /// <summary>
    /// True when <see cref="Port"/> is a port on the host's loopback. A bridged container's or a pod's <see cref="Port"/>
    /// is inside the container; the runtime makes it reachable on a free loopback port (published, or forwarded).
    /// </summary>
    public bool ListensOnHost => Runtime != RuntimeKind.Kubernetes && Container is not { Network: ContainerNetwork.Bridge };

    /// <summary>
    /// The fixed <see cref="Port"/> when it is on this machine's loopback (<see cref="ListensOnHost"/>); null for
    /// <c>port: auto</c> and for ports inside a container or pod. Only there is an instance someone else runs (the IDE's)
    /// found, and only there can a manifest's port clash with another program's.
    /// </summary>
    public int? HostPort => ListensOnHost ? Port : null;

    /// <summary>Opt-in: set HTTP_PROXY/http_proxy to the shared port for this service.</summary>
    public bool HttpProxy { get; init; }

    /// <summary>Where this service is declared, for messages.</summary>
    public SourceLocation Location { get; init; }

    /// <summary>The host names a service's name gives it: <c>orders</c> and <c>orders.localhost</c>.</summary>
    public IReadOnlyList<string> NameHosts => [Name, Name + ".localhost"];

    /// <summary>All host names that route to this service on the shared port (none for a TCP service).</summary>
    public IEnumerable<string> AllHosts => Protocol == ServiceProtocol.Tcp
        ? []
        : NameHosts.Concat(Hosts).Distinct(StringComparer.OrdinalIgnoreCase);
}

/// <summary>Which callees of a launching service the mesh launches beside it (<c>mesh.prewarm</c>).</summary>
public enum PrewarmMode
{
    /// <summary>Those the mesh has seen it call (kept across runs in .meshdev/) and those it declares in <c>calls:</c>.</summary>
    Observed,

    /// <summary>Only those it declares in <c>calls:</c>.</summary>
    Declared,

    /// <summary>None: each service launches when its first call reaches it.</summary>
    Off,
}

/// <summary>Mesh-wide settings (<c>mesh:</c> section).</summary>
public sealed record MeshSettings
{
    public const int DefaultHttpPort = 15000;
    public const int DefaultPortRangeStart = 15100;
    public const int DefaultPortRangeEnd = 15999;
    public const int DefaultXdsPort = 15010;
    public const int DefaultMaxWaitingRequests = 1000;

    /// <summary>The shared port: routes by Host, absolute-form URI and path prefix.</summary>
    public int HttpPort { get; init; } = DefaultHttpPort;
    public int PortRangeStart { get; init; } = DefaultPortRangeStart;
    public int PortRangeEnd { get; init; } = DefaultPortRangeEnd;

    /// <summary>The ADS (xDS) server's port, for Envoy sidecars and proxyless gRPC clients.</summary>
    public int XdsPort { get; init; } = DefaultXdsPort;

    /// <summary>The image of the gateway sidecar in generated pods (<c>mesh.kubernetes.gatewayImage</c>); null for the one this meshdev builds.</summary>
    public string? GatewayImage { get; init; }

    /// <summary>Which callees launch beside a launching service (<c>prewarm:</c>): those seen and declared, only declared, or none.</summary>
    public PrewarmMode Prewarm { get; init; } = PrewarmMode.Observed;

    /// <summary>How much of each service's output is kept on disk (<c>logs:</c>).</summary>
    public LogRotation Logs { get; init; } = LogRotation.Default;
    /// <summary>How many requests may wait for a launch of one service at once, for services without their own 'maxWaitingRequests'.</summary>
    public int MaxWaitingRequests { get; init; } = DefaultMaxWaitingRequests;
}

/// <summary>A loaded, validated manifest.</summary>
public sealed record MeshManifest(string FilePath, MeshSettings Mesh, ImmutableArray<ServiceSpec> Services)
{
    public string Directory => System.IO.Path.GetDirectoryName(FilePath)!;

    public ServiceSpec? Find(string name) => Services.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
}
