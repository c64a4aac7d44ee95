using MeshDev.Catalog;

namespace MeshDev.Core.Tests.Catalog;

/// <summary><c>runtime: docker</c> services and <c>dependsOn</c> in the manifest.</summary>
public sealed class ContainerManifestTests : IDisposable
{
    private readonly string _directory;
    private readonly string _manifestPath;

    public ContainerManifestTests()
    {
        _directory = Path.Combine(Path.GetTempPath(), "meshdev-containers-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, "seccomp.json"), """{"defaultAction":"SCMP_ACT_ALLOW"}""");
        _manifestPath = Path.Combine(_directory, "meshdev.yaml");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Container_service_parses_with_every_setting()
    {
        const string Yaml = """
            services:
              db:
                runtime: docker
                image: postgres:16
                protocol: tcp
                port: 5432
                network: bridge
                volumes: ["./data:/var/lib/postgresql/data", "pgcache:/cache:ro", "/srv/x:/x:rw"]
                pull: always
                onIdle: remove
                seccomp: ./seccomp.json
                workingDir: /var/lib/postgresql
                ready: { exec: [pg_isready, -U, postgres] }
                env: { POSTGRES_PASSWORD: dev }
              orders:
                runtime: docker
                image: 127.0.0.1:5000/shop/orders@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
                command: /app/orders
                args: [--port, "${PORT}"]
                dependsOn: [db]
            """;

        var manifest = ManifestLoader.Parse(Yaml, _manifestPath);

        var db = manifest.Find("db")!;
        Assert.Equal(RuntimeKind.Docker, db.Runtime);
        Assert.Equal(5432, db.Port);
        Assert.False(db.ListensOnHost);
        var container = db.Container!;
        Assert.Equal("postgres:16", container.Image);
        Assert.Equal(ContainerNetwork.Bridge, container.Network);
        Assert.Equal(PullPolicy.Always, container.Pull);
        Assert.Equal(IdleAction.Remove, container.OnIdle);
        Assert.Equal("/var/lib/postgresql", container.WorkingDir);
        Assert.Equal(Path.Combine(_directory, "seccomp.json"), container.Seccomp);
        Assert.Equal(
            [new VolumeMount(Path.Combine(_directory, "data"), "/var/lib/postgresql/data", false), new VolumeMount("pgcache", "/cache", true), new VolumeMount("/srv/x", "/x", false)],
            container.Volumes.ToArray());
        Assert.True(container.Volumes[0].IsBind);
        Assert.False(container.Volumes[1].IsBind);
        Assert.Equal(ReadyKind.Exec, db.Ready.Kind);
        Assert.Equal(["pg_isready", "-U", "postgres"], db.Ready.Command.ToArray());

        var orders = manifest.Find("orders")!;
        Assert.True(orders.ListensOnHost);
        Assert.Null(orders.Port);
        Assert.Equal(ContainerNetwork.Host, orders.Container!.Network);
        Assert.Equal(PullPolicy.Missing, orders.Container.Pull);
        Assert.Equal(IdleAction.Stop, orders.Container.OnIdle);
        Assert.Null(orders.Container.Seccomp);
        // A container's command is a path inside the image, never resolved against the host.
        Assert.Equal("/app/orders", orders.Command);
        Assert.Equal(["--port", "${PORT}"], orders.Args.ToArray());
        Assert.Equal(ReadyKind.ImageHealthcheck, orders.Ready.Kind);
        Assert.Equal(["db"], orders.DependsOn.ToArray());
    }

    [Fact]
    public void A_bridged_containers_port_may_equal_a_port_on_the_host()
    {
        // 5432 inside the container says nothing about the host, where another service may listen on 5432.
        const string Yaml = """
            services:
              db:
                runtime: docker
                image: postgres:16
                network: bridge
                port: 5432
              legacy:
                command: ./legacy
                port: 5432
            """;

        var manifest = ManifestLoader.Parse(Yaml, _manifestPath);

        Assert.Equal(2, manifest.Services.Length);
    }

    [Theory]
    [MemberData(nameof(BadContainers))]
    public void Bad_container_settings_are_reported_with_line_and_column(string yaml, string[] expected)
    {
        var error = Assert.Throws<ManifestException>(() => ManifestLoader.Parse(yaml, _manifestPath));

        Assert.Equal(expected.Select(e => $"{_manifestPath}:{e.Replace("{dir}", _directory, StringComparison.Ordinal)}"), error.Errors.Select(e => e.ToString()));
    }

    private const string Docker = "services:\n  web:\n    runtime: docker\n";

    public static TheoryData<string, string[]> BadContainers => new()
    {
        { "services:\n  web:\n    runtime: docker\n    command: ./web\n", ["2:3: service 'web' has runtime docker and needs 'image'"] },
        { Docker + "    image: \"\"\n", ["4:12: 'image' of service 'web' has no value"] },
        {
            Docker + "    image: Shop/Orders:V1\n",
            ["4:12: 'image' of service 'web' must be lowercase before its tag, as every image name is: shop/orders:V1"]
        },
        {
            Docker + "    image: shop/orders:1 2\n",
            ["4:12: 'image' of service 'web' is not an image reference like postgres:16, ghcr.io/acme/orders:1.2 or localhost:5000/orders@sha256:…"]
        },
        {
            Docker + "    image: web:1\n    project: src/Web/Web.csproj\n",
            ["5:5: 'project' of service 'web' does not apply to runtime docker; build an image and set 'image'"]
        },
        { Docker + "    image: web:1\n    url: http://127.0.0.1:9000\n", ["5:5: 'url' of service 'web' does not apply to runtime docker"] },
        { Docker + "    image: web:1\n    network: overlay\n", ["5:14: 'network' of service 'web' must be host or bridge, not 'overlay'"] },
        { Docker + "    image: web:1\n    pull: sometimes\n", ["5:11: 'pull' of service 'web' must be missing or always or never, not 'sometimes'"] },
        { Docker + "    image: web:1\n    onIdle: pause\n", ["5:13: 'onIdle' of service 'web' must be stop or remove, not 'pause'"] },
        {
            Docker + "    image: web:1\n    network: bridge\n",
            ["2:3: service 'web' has network bridge and needs 'port': the port the app listens on inside the container"]
        },
        {
            Docker + "    image: web:1\n    network: bridge\n    port: auto\n",
            ["6:11: 'port' of service 'web' must be the number the app listens on inside the container: with network bridge the mesh cannot choose it"]
        },
        {
            Docker + "    image: web:1\n    volumes: [data]\n",
            ["5:15: volume 'data' of service 'web' must be SOURCE:TARGET[:ro], with SOURCE a host path (./data, /srv/data, ~/data) or a volume name, and TARGET an absolute path in the container"]
        },
        {
            Docker + "    image: web:1\n    volumes: [\"./data:relative\", \"a:/b:rx\", \"bad name:/c\"]\n",
            [
                "5:15: volume './data:relative' of service 'web' must be SOURCE:TARGET[:ro], with SOURCE a host path (./data, /srv/data, ~/data) or a volume name, and TARGET an absolute path in the container",
                "5:34: volume 'a:/b:rx' of service 'web' must be SOURCE:TARGET[:ro], with SOURCE a host path (./data, /srv/data, ~/data) or a volume name, and TARGET an absolute path in the container",
                "5:45: volume 'bad name:/c' of service 'web' must be SOURCE:TARGET[:ro], with SOURCE a host path (./data, /srv/data, ~/data) or a volume name, and TARGET an absolute path in the container",
            ]
        },
        {
            Docker + "    image: web:1\n    seccomp: ./missing.json\n",
            ["5:14: 'seccomp' of service 'web' must be default, unconfined or a seccomp profile file; {dir}/missing.json does not exist"]
        },
        { Docker + "    image: web:1\n    workingDir: app\n", ["5:17: 'workingDir' of service 'web' is a folder inside the container and must be absolute, like /app"] },
        { Docker + "    image: web:1\n    ready: { exec: [] }\n", ["5:14: 'exec' in ready of service 'web' must name a command, like [pg_isready, -U, postgres]"] },
        { Docker + "    image: web:1\n    ready: { exec: true }\n", ["5:20: 'exec' in ready of service 'web' must be a list"] },
        {
            Docker + "    image: web:1\n    ready: { socket: true }\n",
            ["5:14: 'socket' in ready of service 'web' is only for services the mesh runs as local processes (command or project), not runtime docker: the listening socket is handed to a process as it is spawned"]
        },
        {
            Docker + "    image: web:1\n    ready: { http: /healthz, notify: true }\n",
            ["5:30: 'notify' in ready of service 'web' is only for services the mesh runs as local processes (command or project), not runtime docker: NOTIFY_SOCKET is a socket on the mesh's own machine"]
        },
        {
            Docker + "    image: web:1\n    ready: { exec: [a], tcp: true }\n",
            ["5:12: 'ready' of service 'web' must have exactly one of 'http', 'tcp', 'grpc' or 'exec'"]
        },
        {
            "services:\n  web:\n    command: ./web\n    ready: { exec: [test, -f, /tmp/ready] }\n",
            ["4:14: 'exec' in ready of service 'web' runs a command inside the container, so it is only for runtime docker or kubernetes"]
        },
        {
            Docker + "    image: redis:7\n    protocol: tcp\n    ready: { http: /health }\n",
            ["6:14: service 'web' has protocol tcp: it speaks no HTTP, so 'ready' must be { tcp: true } or { exec: [...] }"]
        },
        {
            "services:\n  web:\n    command: ./web\n    network: host\n    pull: never\n",
            ["4:5: 'network' of service 'web' is only for runtime docker", "5:5: 'pull' of service 'web' is only for runtime docker"]
        },

        // dependsOn
        {
            "services:\n  web:\n    command: ./web\n    dependsOn: [web, db]\n",
            ["4:17: service 'web' depends on itself", "4:22: service 'web' depends on 'db', which is not a service of this manifest (known: web)"]
        },
        {
            "services:\n  a:\n    command: ./a\n    dependsOn: [b]\n  b:\n    command: ./b\n    dependsOn: [c]\n  c:\n    command: ./c\n    dependsOn: [a]\n",
            ["10:17: dependsOn forms a cycle: a -> b -> c -> a"]
        },
        { "services:\n  web:\n    command: ./web\n    dependsOn: db\n", ["4:16: 'dependsOn' of service 'web' must be a list"] },
    };
}
