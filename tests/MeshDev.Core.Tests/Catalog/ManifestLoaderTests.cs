using MeshDev.Catalog;

namespace MeshDev.Core.Tests.Catalog;

public sealed class ManifestLoaderTests : IDisposable
{
    private const string Services = "(expected one of: runtime, command, args, env, workingDir, project, port, meshPort, protocol, url, ready, routes, idleTimeout, startTimeout, stopGracePeriod, requestTimeout, maxWaitingRequests, httpProxy, dependsOn, calls, prewarm, image, network, volumes, pull, onIdle, seccomp, context, namespace, manifests, deployment, runAsNonRoot)";
    private const string DnsLabel = "must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters";

    // Holds the files a manifest may point at (workingDir, project); deleted after each test.
    private readonly string _directory;
    private readonly string _manifestPath;

    public ManifestLoaderTests()
    {
        _directory = Path.Combine(Path.GetTempPath(), "meshdev-manifest-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(_directory, "src", "orders"));
        Directory.CreateDirectory(Path.Combine(_directory, "src", "Catalog"));
        File.WriteAllText(Path.Combine(_directory, "src", "Catalog", "Catalog.csproj"), "<Project />");
        _manifestPath = Path.Combine(_directory, "meshdev.yaml");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Valid_full_manifest_parses_to_the_expected_services()
    {
        const string Yaml = """
            mesh:
              http: 16000
              xds: 16010
              portRange: 16100-16199
            services:
              orders:
                runtime: process
                command: ./bin/orders
                args: [--listen, "127.0.0.1:${PORT}", 42]
                env: { LOG_LEVEL: debug, EMPTY: "" }
                workingDir: src/orders
                port: auto
                meshPort: 16101
                ready: { http: /healthz }
                routes:
                  hosts: [orders-api, Orders.Example.test]
                  paths: [/orders, /api/orders/]
                idleTimeout: 90s
                startTimeout: 2m
                stopGracePeriod: 500ms
                httpProxy: true
              catalog:
                project: src/Catalog/Catalog.csproj
                port: 8081
                idleTimeout: never
              legacy:
                runtime: remote
                url: http://127.0.0.1:9000
                ready: { tcp: true }
              tools:
                command: python3
                startTimeout: 1h
                stopGracePeriod: 0s
            """;

        var manifest = ManifestLoader.Parse(Yaml, _manifestPath);

        Assert.Equal(_manifestPath, manifest.FilePath);
        Assert.Equal(_directory, manifest.Directory);
        Assert.Equal(new MeshSettings { HttpPort = 16000, XdsPort = 16010, PortRangeStart = 16100, PortRangeEnd = 16199 }, manifest.Mesh);
        Assert.Equal(["orders", "catalog", "legacy", "tools"], manifest.Services.Select(s => s.Name));

        var orders = manifest.Services[0];
        Assert.Equal(RuntimeKind.Process, orders.Runtime);
        Assert.Equal(Path.Combine(_directory, "src", "orders", "bin", "orders"), orders.Command);
        Assert.Equal(new[] { "--listen", "127.0.0.1:${PORT}", "42" }, orders.Args);
        Assert.Equal(new Dictionary<string, string> { ["LOG_LEVEL"] = "debug", ["EMPTY"] = "" }, orders.Env);
        Assert.Equal(Path.Combine(_directory, "src", "orders"), orders.WorkingDir);
        Assert.Null(orders.Project);
        Assert.Null(orders.Port);
        Assert.Equal(16101, orders.MeshPort);
        Assert.Null(orders.Url);
        Assert.Equal(new ReadyProbeSpec(ReadyKind.Http, "/healthz"), orders.Ready);
        Assert.Equal(new[] { "orders-api", "Orders.Example.test" }, orders.Hosts);
        Assert.Equal(new[] { "/orders", "/api/orders/" }, orders.Paths);
        Assert.Equal(TimeSpan.FromSeconds(90), orders.IdleTimeout);
        Assert.Equal(TimeSpan.FromMinutes(2), orders.StartTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(500), orders.StopGracePeriod);
        Assert.True(orders.HttpProxy);
        Assert.Equal(ServiceProtocol.Http, orders.Protocol);
        Assert.Empty(orders.GrpcServices);
        Assert.Equal(new SourceLocation(_manifestPath, 6, 3), orders.Location);

        var catalog = manifest.Services[1];
        Assert.Equal(RuntimeKind.Process, catalog.Runtime);
        Assert.Null(catalog.Command);
        Assert.Equal(Path.Combine(_directory, "src", "Catalog", "Catalog.csproj"), catalog.Project);
        Assert.Equal(Path.Combine(_directory, "src", "Catalog"), catalog.WorkingDir); // a project runs from its own folder
        Assert.Equal(8081, catalog.Port);
        Assert.Equal(Timeout.InfiniteTimeSpan, catalog.IdleTimeout);
        Assert.Equal(new SourceLocation(_manifestPath, 22, 3), catalog.Location);

        var legacy = manifest.Services[2];
        Assert.Equal(RuntimeKind.Remote, legacy.Runtime);
        Assert.Equal(new Uri("http://127.0.0.1:9000"), legacy.Url);
        Assert.Equal(ReadyProbeSpec.Tcp, legacy.Ready);

        var tools = manifest.Services[3];
        Assert.Equal("python3", tools.Command);
        Assert.Empty(tools.Args);
        Assert.Empty(tools.Env);
        Assert.Equal(_directory, tools.WorkingDir);
        Assert.Equal(ReadyProbeSpec.Tcp, tools.Ready);
        Assert.Empty(tools.Hosts);
        Assert.Empty(tools.Paths);
        Assert.Equal(TimeSpan.FromMinutes(10), tools.IdleTimeout);
        Assert.Equal(TimeSpan.FromHours(1), tools.StartTimeout);
        Assert.Equal(TimeSpan.Zero, tools.StopGracePeriod);
        Assert.False(tools.HttpProxy);

        // Every service without an explicit meshPort gets its own port from the range.
        var assigned = manifest.Services.Where(s => s.Name != "orders").Select(s => s.MeshPort).ToList();
        Assert.All(assigned, port => Assert.InRange(port, 16100, 16199));
        Assert.DoesNotContain(16101, assigned);
        Assert.Equal(assigned.Count, assigned.Distinct().Count());
    }

    [Fact]
    public void Grpc_routes_grpc_readiness_and_tcp_services_parse()
    {
        const string Yaml = """
            mesh:
              xds: 15020
              portRange: 15000-15029
            services:
              orders:
                command: ./orders
                ready: { grpc: true, service: shop.orders.v1.Orders }
                routes:
                  hosts: [db]
                  grpc: [shop.orders.v1.Orders, _internal.Admin_V2, Greeter, shop.orders.v1.Orders]
              billing:
                command: ./billing
                protocol: http
                ready: { grpc: TRUE }
                routes: { grpc: [shop.orders.v1.OrdersAdmin, Shop.Orders.V1.Orders] }
              db:
                command: ./db
                protocol: tcp
                ready: { tcp: true }
              cache:
                runtime: remote
                url: http://127.0.0.1:6379
                protocol: tcp
            """;

        var manifest = ManifestLoader.Parse(Yaml, _manifestPath);

        Assert.Equal(new MeshSettings { XdsPort = 15020, PortRangeStart = 15000, PortRangeEnd = 15029 }, manifest.Mesh);

        var orders = manifest.Find("orders")!;
        Assert.Equal(ServiceProtocol.Http, orders.Protocol);
        Assert.Equal(new ReadyProbeSpec(ReadyKind.Grpc, GrpcService: "shop.orders.v1.Orders"), orders.Ready);
        Assert.Equal(new[] { "shop.orders.v1.Orders", "_internal.Admin_V2", "Greeter", "shop.orders.v1.Orders" }, orders.GrpcServices);
        Assert.Equal(new[] { "db" }, orders.Hosts); // a tcp service has no Host routing, so its name is free for others

        // Protobuf names are case-sensitive: a different case is a different gRPC service.
        var billing = manifest.Find("billing")!;
        Assert.Equal(ServiceProtocol.Http, billing.Protocol);
        Assert.Equal(new ReadyProbeSpec(ReadyKind.Grpc), billing.Ready);
        Assert.Null(billing.Ready.GrpcService);
        Assert.Equal(new[] { "shop.orders.v1.OrdersAdmin", "Shop.Orders.V1.Orders" }, billing.GrpcServices);

        var db = manifest.Find("db")!;
        Assert.Equal(ServiceProtocol.Tcp, db.Protocol);
        Assert.Equal(ReadyProbeSpec.Tcp, db.Ready);
        Assert.Empty(db.Hosts);
        Assert.Empty(db.GrpcServices);

        var cache = manifest.Find("cache")!;
        Assert.Equal(ServiceProtocol.Tcp, cache.Protocol);
        Assert.Equal(ReadyProbeSpec.Tcp, cache.Ready);

        // The range holds mesh.http (15000) and mesh.xds (15020); neither is handed out.
        var assigned = manifest.Services.Select(s => s.MeshPort).ToList();
        Assert.All(assigned, port => Assert.InRange(port, 15001, 15029));
        Assert.DoesNotContain(15020, assigned);
        Assert.Equal(assigned.Count, assigned.Distinct().Count());
    }

    [Fact]
    public void Defaults_apply_when_the_mesh_section_is_absent_or_empty()
    {
        var absent = ManifestLoader.Parse("services:\n  orders:\n    command: ./orders\n", _manifestPath);
        var empty = ManifestLoader.Parse("mesh:\nservices:\n  orders:\n    command: ./orders\n", _manifestPath);

        Assert.Equal(new MeshSettings(), absent.Mesh);
        Assert.Equal(new MeshSettings(), empty.Mesh);
        Assert.Equal(MeshSettings.DefaultXdsPort, absent.Mesh.XdsPort);
        Assert.Equal(ServiceProtocol.Http, absent.Services[0].Protocol);
        Assert.Empty(absent.Services[0].GrpcServices);
        Assert.InRange(absent.Services[0].MeshPort, MeshSettings.DefaultPortRangeStart, MeshSettings.DefaultPortRangeEnd);
        Assert.Equal(absent.Services[0].MeshPort, empty.Services[0].MeshPort);
    }

    [Fact]
    public void Request_timeout_and_max_waiting_requests_are_read_with_no_timeout_and_the_mesh_bound_by_default()
    {
        const string Yaml = """
            mesh:
              maxWaitingRequests: 250
            services:
              orders:
                command: ./orders
                requestTimeout: 30s
                maxWaitingRequests: 20
              billing:
                command: ./billing
                requestTimeout: never
              db:
                command: ./db
                protocol: tcp
            """;

        var manifest = ManifestLoader.Parse(Yaml, _manifestPath);

        Assert.Equal(250, manifest.Mesh.MaxWaitingRequests);
        Assert.Equal(TimeSpan.FromSeconds(30), manifest.Services[0].RequestTimeout);
        Assert.Equal(20, manifest.Services[0].MaxWaitingRequests);
        Assert.Null(manifest.Services[1].RequestTimeout);
        Assert.Null(manifest.Services[1].MaxWaitingRequests);
        Assert.Null(manifest.Services[2].RequestTimeout);
        var defaults = ManifestLoader.Parse("services:\n  orders:\n    command: ./orders\n", _manifestPath);
        Assert.Equal(MeshSettings.DefaultMaxWaitingRequests, defaults.Mesh.MaxWaitingRequests);
        Assert.Equal(1000, MeshSettings.DefaultMaxWaitingRequests);
        Assert.Null(defaults.Services[0].RequestTimeout);
        Assert.Null(defaults.Services[0].MaxWaitingRequests);
    }

    [Fact]
    public void A_service_may_list_its_own_name_as_a_host()
    {
        var manifest = ManifestLoader.Parse("services:\n  orders:\n    command: ./orders\n    routes: { hosts: [orders, ORDERS.localhost] }\n", _manifestPath);

        Assert.Equal(["orders", "orders.localhost"], manifest.Services[0].AllHosts);
    }

    [Fact]
    public void Relative_file_path_is_made_absolute()
    {
        var manifest = ManifestLoader.Parse("services:\n  tools:\n    command: python3\n", "meshdev.yaml");

        Assert.Equal(Path.GetFullPath("meshdev.yaml"), manifest.FilePath);
        Assert.Equal(Directory.GetCurrentDirectory(), manifest.Services[0].WorkingDir);
    }

    [Fact]
    public void Load_reads_the_file()
    {
        File.WriteAllText(_manifestPath, "services:\n  orders:\n    command: ./orders\n");

        var manifest = ManifestLoader.Load(_manifestPath);

        Assert.Equal("orders", Assert.Single(manifest.Services).Name);
    }

    [Fact]
    public void Load_of_a_missing_file_says_to_create_one_or_pass_f()
    {
        var missing = Path.Combine(_directory, "nope.yaml");

        var error = Assert.Throws<ManifestException>(() => ManifestLoader.Load(missing));

        Assert.Equal([$"{missing}:1:1: the manifest file does not exist; create one or pass -f FILE"], error.Errors.Select(e => e.ToString()));
        Assert.Equal(error.Errors[0].ToString(), error.Message);
    }

    [Fact]
    public void Load_of_an_endless_file_stops_at_the_size_limit_with_one_sentence()
    {
        // It read /dev/zero until the memory ran out.
        var error = Assert.Throws<ManifestException>(() => ManifestLoader.Load("/dev/zero"));

        Assert.Equal(["/dev/zero:1:1: the manifest file holds more than 8 MB of text, far more than any manifest; pass the right file with -f"],
            error.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Load_reads_a_file_right_at_the_size_limit()
    {
        var yaml = "services:\n  orders:\n    command: ./orders\n";
        File.WriteAllText(_manifestPath, yaml + new string('#', ManifestLoader.MaxChars - yaml.Length));

        Assert.Equal("orders", Assert.Single(ManifestLoader.Load(_manifestPath).Services).Name);
    }

    [Theory]
    [MemberData(nameof(BadManifests))]
    public void Bad_manifest_is_reported_with_file_line_and_column(string yaml, string[] expected)
    {
        var error = Assert.Throws<ManifestException>(() => ManifestLoader.Parse(yaml, _manifestPath));

        var wanted = expected.Select(e => $"{_manifestPath}:{e.Replace("{dir}", _directory, StringComparison.Ordinal)}");
        Assert.Equal(wanted, error.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Every_problem_of_a_manifest_is_reported_in_file_order()
    {
        const string Yaml = """
            mesh:
              http: 15000
              portRange: 15999-15100
            services:
              orders:
                command: ./orders
                port: 15000
                idleTimeout: soon
                routes:
                  hosts: [shop]
              Billing:
                runtime: lambda
              shipping:
                colour: blue
                project: src/Shipping/Shipping.csproj
              frontend:
                command: ./frontend
                routes:
                  hosts: [shop]
                  paths: [/]
            """;

        var error = Assert.Throws<ManifestException>(() => ManifestLoader.Parse(Yaml, _manifestPath));

        string[] expected =
        [
            "3:14: 'portRange' in mesh must not start after it ends (15999 > 15100)",
            "7:11: port 15000 of service 'orders' is the shared port (mesh.http)",
            "8:18: 'idleTimeout' of service 'orders' must be a duration greater than zero like 500ms, 30s, 10m or 1h, or 'never'",
            $"11:3: service name 'Billing' {DnsLabel}",
            "12:14: unknown runtime 'lambda' (expected process, docker, kubernetes or remote)",
            $"14:5: unknown key 'colour' in service 'shipping' {Services}",
            $"15:14: 'project' of service 'shipping' does not exist: {_directory}/src/Shipping/Shipping.csproj",
            "19:15: host 'shop' of service 'frontend' is already routed to service 'orders'",
            "20:15: path '/' of service 'frontend' would take every request; use a longer prefix such as '/frontend'",
        ];
        Assert.Equal(expected.Select(e => $"{_manifestPath}:{e}"), error.Errors.Select(e => e.ToString()));
        Assert.Equal(string.Join(Environment.NewLine, error.Errors), error.Message);
    }

    /// <summary>Each row: a manifest and its exact errors as <c>line:col: message</c> ({dir} = the manifest's directory).</summary>
    public static TheoryData<string, string[]> BadManifests => new()
    {
        // The YAML itself
        {
            "services:\n  orders:\n    command: \"./orders\n",
            ["3:14: the \" that starts this value is never closed; end the value with \" on the same line"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    port: 8080\n    port: 8081\n",
            ["5:5: duplicate key 'port' (first written on line 4)"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n  billing:\n    command: ./billing\n  orders:\n    command: ./orders2\n    args: []\n    args: []\n",
            ["6:3: duplicate key 'orders' (first written on line 2)", "9:5: duplicate key 'args' (first written on line 8)"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n---\nservices: {}\n",
            ["5:1: the manifest must be a single YAML document; remove this second one"]
        },

        // The top level
        { "", ["1:1: the manifest is empty; declare your services under 'services'"] },
        { "# nothing yet\n", ["1:1: the manifest is empty; declare your services under 'services'"] },
        { "- orders\n", ["1:1: the manifest must be a mapping with 'services' (and optionally 'mesh') at the top level"] },
        { "mesh:\n  http: 15000\n", ["1:1: the manifest has no 'services'; declare at least one service"] },
        { "services:\n", ["1:1: 'services' is empty; declare at least one service"] },
        { "services: {}\n", ["1:1: 'services' is empty; declare at least one service"] },
        { "services:\n  - orders\n", ["2:3: 'services' must be a mapping from service names to their settings"] },
        {
            "version: 2\nservices:\n  orders:\n    command: ./orders\n",
            ["1:1: unknown key 'version' at top level (expected one of: mesh, services)"]
        },

        // mesh
        {
            "mesh:\n  admin: 15020\nservices:\n  orders:\n    command: ./orders\n",
            ["2:3: unknown key 'admin' in mesh (expected one of: http, xds, portRange, logs, maxWaitingRequests, kubernetes, prewarm)"]
        },
        { "mesh: 15000\nservices:\n  orders:\n    command: ./orders\n", ["1:7: 'mesh' must be a mapping with 'http', 'xds' and/or 'portRange'"] },
        {
            "mesh:\n  http: 99999\nservices:\n  orders:\n    command: ./orders\n",
            ["2:9: 'http' in mesh must be a number from 1 to 65535"]
        },
        {
            "mesh:\n  xds: 0\nservices:\n  orders:\n    command: ./orders\n",
            ["2:8: 'xds' in mesh must be a number from 1 to 65535"]
        },
        {
            "mesh:\n  xds: [15010]\nservices:\n  orders:\n    command: ./orders\n",
            ["2:8: 'xds' in mesh must be a number from 1 to 65535"]
        },
        {
            "mesh:\n  xds: 15000\nservices:\n  orders:\n    command: ./orders\n",
            ["2:8: xds port 15000 in mesh is the shared port (mesh.http)"]
        },
        {
            "mesh:\n  http: 8000\n  xds: 8000\nservices:\n  orders:\n    command: ./orders\n",
            ["3:8: xds port 8000 in mesh is the shared port (mesh.http)"]
        },
        {
            "mesh:\n  http: 15010\nservices:\n  orders:\n    command: ./orders\n",
            ["2:9: http port 15010 in mesh is the xds port (mesh.xds, default 15010); set mesh.xds to another port"]
        },
        {
            "mesh:\n  portRange: 15100\nservices:\n  orders:\n    command: ./orders\n",
            ["2:14: 'portRange' in mesh must be two port numbers like 15100-15999"]
        },
        {
            "mesh:\n  portRange: 15100-99999\nservices:\n  orders:\n    command: ./orders\n",
            ["2:14: 'portRange' in mesh must be two port numbers like 15100-15999"]
        },

        // Service names and shapes
        { "services:\n  Orders_Svc:\n    command: ./orders\n", [$"2:3: service name 'Orders_Svc' {DnsLabel}"] },
        { $"services:\n  {new string('a', 64)}:\n    command: ./a\n", [$"2:3: service name '{new string('a', 64)}' {DnsLabel}"] },
        { "services:\n  orders-:\n    command: ./orders\n", [$"2:3: service name 'orders-' {DnsLabel}"] },
        { "services:\n  orders: ./orders\n", ["2:11: service 'orders' must be a mapping of its settings (runtime, command, port…)"] },
        {
            "services:\n  orders:\n    command: ./orders\n    image: orders:dev\n",
            ["4:5: 'image' of service 'orders' is only for runtime docker or kubernetes"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    MeshPort: 15101\n",
            ["4:5: unknown key 'MeshPort' in service 'orders'; did you mean 'meshPort'?"]
        },

        // runtime, command, project, workingDir
        {
            "services:\n  orders:\n    runtime: lambda\n    command: ./orders\n",
            ["3:14: unknown runtime 'lambda' (expected process, docker, kubernetes or remote)"]
        },
        {
            "services:\n  orders:\n    runtime: docker\n",
            ["2:3: service 'orders' has runtime docker and needs 'image'"]
        },
        {
            "services:\n  orders:\n    runtime: kubernetes\n",
            [
                "2:3: service 'orders' has runtime kubernetes and needs 'image' (MeshDev generates the Deployment) or 'manifests' (your own files)",
                "2:3: service 'orders' has runtime kubernetes and needs 'port': the port the app listens on in its pod",
            ]
        },
        { "services:\n  orders:\n    port: 8080\n", ["2:3: service 'orders' needs 'command' or 'project'"] },
        { "services:\n  orders:\n", ["2:3: service 'orders' needs 'command' or 'project'"] },
        {
            "services:\n  orders:\n    command: ./orders\n    project: src/Catalog/Catalog.csproj\n",
            ["4:5: service 'orders' has both 'command' and 'project'; keep one"]
        },
        { "services:\n  orders:\n    command:\n", ["3:5: 'command' of service 'orders' has no value"] },
        { "services:\n  orders:\n    command: \" \"\n", ["3:14: 'command' of service 'orders' has no value"] },
        { "services:\n  orders:\n    command: [./orders]\n", ["3:14: 'command' of service 'orders' must be a string"] },
        {
            "services:\n  catalog:\n    project: src/Catalog/Catalog.fsproj\n",
            ["3:14: 'project' of service 'catalog' must be a .csproj file"]
        },
        {
            "services:\n  catalog:\n    project: src/Missing/Missing.csproj\n",
            ["3:14: 'project' of service 'catalog' does not exist: {dir}/src/Missing/Missing.csproj"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    workingDir: src/nowhere\n",
            ["4:17: 'workingDir' of service 'orders' does not exist: {dir}/src/nowhere"]
        },

        // args and env
        { "services:\n  orders:\n    command: ./orders\n    args: foo\n", ["4:11: 'args' of service 'orders' must be a list"] },
        {
            "services:\n  orders:\n    command: ./orders\n    args: [--x, {a: 1}]\n",
            ["4:17: 'args' of service 'orders' must be a list of strings"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    args:\n      - --x\n      -\n",
            ["6:8: 'args' of service 'orders' has an empty item; write \"\" for an empty string"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    env: [A=1]\n",
            ["4:10: 'env' of service 'orders' must be a mapping of variable names to values"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    env: { FOO-BAR: x, 1ST: y }\n",
            [
                "4:12: env 'FOO-BAR' of service 'orders' is not a valid variable name (use letters, digits and '_', not starting with a digit)",
                "4:24: env '1ST' of service 'orders' is not a valid variable name (use letters, digits and '_', not starting with a digit)",
            ]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    env:\n      LOG: debug\n      PORT: \"8080\"\n",
            [
                "6:7: env 'PORT' of service 'orders' would be overridden: the mesh sets PORT from 'port:' at every launch; write 'port: N' for a fixed port",
            ]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    env:\n      KEY:\n      LIST: [a]\n",
            [
                "5:7: env 'KEY' of service 'orders' has no value; write KEY: \"\" for an empty string",
                "6:13: env 'LIST' of service 'orders' must be a string",
            ]
        },

        // Ports
        {
            "services:\n  orders:\n    command: ./orders\n    port: abc\n",
            ["4:11: 'port' of service 'orders' must be 'auto' or a number from 1 to 65535"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    port: 70000\n",
            ["4:11: 'port' of service 'orders' must be 'auto' or a number from 1 to 65535"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    port: -1\n",
            ["4:11: 'port' of service 'orders' must be 'auto' or a number from 1 to 65535"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    meshPort: 0\n",
            ["4:15: 'meshPort' of service 'orders' must be a number from 1 to 65535"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    meshPort: 15101\n  billing:\n    command: ./billing\n    meshPort: 15101\n",
            ["7:15: meshPort 15101 of service 'billing' is already the meshPort of service 'orders'"]
        },
        {
            "mesh:\n  http: 8000\nservices:\n  orders:\n    command: ./orders\n    meshPort: 8000\n",
            ["6:15: meshPort 8000 of service 'orders' is the shared port (mesh.http)"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    meshPort: 15010\n",
            ["4:15: meshPort 15010 of service 'orders' is the xds port (mesh.xds)"]
        },
        {
            "mesh:\n  xds: 15200\nservices:\n  orders:\n    command: ./orders\n    meshPort: 15200\n  billing:\n    command: ./billing\n    port: 15200\n",
            [
                "6:15: meshPort 15200 of service 'orders' is the xds port (mesh.xds)",
                "9:11: port 15200 of service 'billing' is the xds port (mesh.xds)",
            ]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    port: 15010\n",
            ["4:11: port 15010 of service 'orders' is the xds port (mesh.xds)"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    port: 15101\n    meshPort: 15101\n",
            ["4:11: port 15101 of service 'orders' is also its meshPort"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    port: 15000\n",
            ["4:11: port 15000 of service 'orders' is the shared port (mesh.http)"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    meshPort: 15101\n  billing:\n    command: ./billing\n    port: 15101\n",
            ["7:11: port 15101 of service 'billing' is the meshPort of service 'orders'"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    port: 8080\n  billing:\n    command: ./billing\n    port: 8080\n",
            ["7:11: port 8080 of service 'billing' is already the port of service 'orders'"]
        },
        {
            "mesh:\n  portRange: 15100-15100\nservices:\n  a:\n    command: ./a\n  b:\n    command: ./b\n",
            ["6:3: no free mesh port left in portRange 15100-15100 for service 'b'; widen mesh.portRange or give the service a meshPort"]
        },

        // remote
        { "services:\n  legacy:\n    runtime: remote\n", ["2:3: service 'legacy' has runtime remote and needs 'url'"] },
        {
            "services:\n  legacy:\n    runtime: remote\n    url: http://127.0.0.1:9000\n    command: ./legacy\n    port: 9000\n",
            [
                "5:5: 'command' of service 'legacy' does not apply to runtime remote (the mesh never launches it)",
                "6:5: 'port' of service 'legacy' does not apply to runtime remote (the mesh never launches it)",
            ]
        },
        {
            "services:\n  legacy:\n    runtime: remote\n    url: http://example.com:9000\n",
            ["4:10: 'url' of service 'legacy' must point at 127.0.0.0/8, ::1 or localhost: the mesh only forwards to loopback"]
        },
        {
            "services:\n  legacy:\n    runtime: remote\n    url: 127.0.0.1:9000\n",
            ["4:10: 'url' of service 'legacy' must be an absolute http or https URL like http://127.0.0.1:9000"]
        },
        {
            "services:\n  legacy:\n    runtime: remote\n    url: http://localhost:15000\n",
            ["4:10: url port 15000 of service 'legacy' is the shared port (mesh.http)"]
        },
        {
            "services:\n  legacy:\n    runtime: remote\n    url: http://127.0.0.1:15010\n",
            ["4:10: url port 15010 of service 'legacy' is the xds port (mesh.xds)"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    url: http://127.0.0.1:9000\n",
            ["4:5: 'url' of service 'orders' is only for runtime remote"]
        },

        // ready
        {
            "services:\n  orders:\n    command: ./orders\n    ready: { exec: true }\n",
            ["4:14: 'exec' in ready of service 'orders' runs a command inside the container, so it is only for runtime docker or kubernetes"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    ready: { http: /healthz, tcp: true }\n",
            ["4:12: 'ready' of service 'orders' must have exactly one of 'http', 'tcp', 'grpc' or 'exec'"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    ready: { grpc: true, tcp: true }\n",
            ["4:12: 'ready' of service 'orders' must have exactly one of 'http', 'tcp', 'grpc' or 'exec'"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    ready: {}\n",
            ["4:12: 'ready' of service 'orders' must have exactly one of 'http', 'tcp', 'grpc' or 'exec'"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    ready: { grpc: false }\n",
            ["4:20: 'grpc' in ready of service 'orders' must be true"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    ready: { grpc: yes }\n",
            ["4:20: 'grpc' in ready of service 'orders' must be true or false"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    ready: { grpc: true, service: shop..Orders }\n",
            ["4:35: 'service' in ready of service 'orders' must be a fully-qualified protobuf service name like shop.orders.v1.Orders"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    ready: { grpc: true, service: \"\" }\n",
            ["4:35: 'service' in ready of service 'orders' is empty; leave it out to check the server as a whole"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    ready: { http: /healthz, service: shop.orders.v1.Orders }\n",
            ["4:30: 'service' in ready of service 'orders' is only for { grpc: true }"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    ready: { service: shop.orders.v1.Orders }\n",
            [
                "4:12: 'ready' of service 'orders' must have exactly one of 'http', 'tcp', 'grpc' or 'exec'",
                "4:14: 'service' in ready of service 'orders' is only for { grpc: true }",
            ]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    ready: { http: healthz }\n",
            ["4:20: 'http' in ready of service 'orders' must be a path starting with '/'"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    ready: { tcp: false }\n",
            ["4:19: 'tcp' in ready of service 'orders' must be true"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    ready: http\n",
            ["4:12: 'ready' of service 'orders' must be { http: /path }, { grpc: true }, { tcp: true }, { exec: [command, args…] }, { socket: true } or { notify: true }"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    ready: { notify: true, http: /healthz }\n",
            ["4:28: 'http' in ready of service 'orders' cannot go with notify: true, whose READY=1 is the readiness signal itself; leave one of them out"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    ready: { socket: maybe }\n",
            ["4:22: 'socket' in ready of service 'orders' must be true or false"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    ready: { socket: false }\n",
            ["4:12: 'ready' of service 'orders' must have exactly one of 'http', 'tcp', 'grpc' or 'exec'"]
        },
        {
            "services:\n  legacy:\n    runtime: remote\n    url: http://127.0.0.1:9000\n    ready: { notify: true }\n",
            ["5:14: 'notify' in ready of service 'legacy' is only for services the mesh runs as local processes (command or project), not runtime remote: NOTIFY_SOCKET is a socket on the mesh's own machine"]
        },

        // routes
        {
            "services:\n  orders:\n    command: ./orders\n    routes:\n      methods: [GET]\n",
            ["5:7: unknown key 'methods' in routes of service 'orders' (expected one of: hosts, paths, grpc)"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    routes: [orders-api]\n",
            ["4:13: 'routes' of service 'orders' must be a mapping with 'hosts', 'paths' and/or 'grpc'"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    routes:\n      grpc: shop.orders.v1.Orders\n",
            ["5:13: 'grpc' in routes of service 'orders' must be a list"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    routes:\n      grpc: [shop..Orders, 1shop.Orders, .shop.Orders, shop.orders/v1, shop-orders.Orders]\n",
            [
                "5:14: gRPC service 'shop..Orders' of service 'orders' is not a fully-qualified protobuf service name like shop.orders.v1.Orders",
                "5:28: gRPC service '1shop.Orders' of service 'orders' is not a fully-qualified protobuf service name like shop.orders.v1.Orders",
                "5:42: gRPC service '.shop.Orders' of service 'orders' is not a fully-qualified protobuf service name like shop.orders.v1.Orders",
                "5:56: gRPC service 'shop.orders/v1' of service 'orders' is not a fully-qualified protobuf service name like shop.orders.v1.Orders",
                "5:72: gRPC service 'shop-orders.Orders' of service 'orders' is not a fully-qualified protobuf service name like shop.orders.v1.Orders",
            ]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    routes:\n      grpc: [\"shop.Orders\\n\"]\n",
            ["5:14: gRPC service 'shop.Orders\n' of service 'orders' is not a fully-qualified protobuf service name like shop.orders.v1.Orders"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    routes: { grpc: [shop.orders.v1.Orders] }\n  billing:\n    command: ./billing\n    routes: { grpc: [shop.billing.v1.Billing, shop.orders.v1.Orders] }\n",
            ["7:47: gRPC service 'shop.orders.v1.Orders' of service 'billing' is already routed to service 'orders'"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    routes:\n      hosts: shop\n",
            ["5:14: 'hosts' in routes of service 'orders' must be a list"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    routes:\n      hosts: [bad_host, -shop]\n",
            [
                "5:15: host 'bad_host' of service 'orders' is not a valid host name",
                "5:25: host '-shop' of service 'orders' is not a valid host name",
            ]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    routes:\n      hosts: [shop]\n  billing:\n    command: ./billing\n    routes:\n      hosts: [SHOP, orders]\n",
            [
                "9:15: host 'SHOP' of service 'billing' is already routed to service 'orders'",
                "9:21: host 'orders' of service 'billing' is already routed to service 'orders'",
            ]
        },
        {
            "services:\n  gateway:\n    command: ./gateway\n    routes:\n      hosts: [orders.localhost]\n  orders:\n    command: ./orders\n",
            ["5:15: host 'orders.localhost' of service 'gateway' is already routed to service 'orders'"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    routes:\n      paths: [orders, /, /a b]\n",
            [
                "5:15: path 'orders' of service 'orders' must start with '/'",
                "5:23: path '/' of service 'orders' would take every request; use a longer prefix such as '/orders'",
                "5:26: path '/a b' of service 'orders' must not contain spaces, '?' or '#'",
            ]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    routes: { paths: [/orders] }\n  billing:\n    command: ./billing\n    routes: { paths: [/Orders/] }\n",
            ["7:23: path '/Orders/' of service 'billing' is already routed to service 'orders'"]
        },

        // protocol
        {
            "services:\n  db:\n    command: ./db\n    protocol: udp\n",
            ["4:15: unknown protocol 'udp' (expected http or tcp)"]
        },
        {
            "services:\n  db:\n    command: ./db\n    protocol: TCP\n",
            ["4:15: unknown protocol 'TCP' (expected http or tcp)"]
        },
        {
            "services:\n  db:\n    command: ./db\n    protocol: [tcp]\n",
            ["4:15: 'protocol' of service 'db' must be http or tcp"]
        },
        {
            "services:\n  db:\n    command: ./db\n    protocol: tcp\n    routes:\n      hosts: [postgres]\n      grpc: [not..checked]\n",
            ["5:5: service 'db' has protocol tcp: it is reached on its mesh port only, so 'routes' does not apply"]
        },
        {
            "services:\n  db:\n    command: ./db\n    protocol: tcp\n    ready: { http: /healthz }\n",
            ["5:14: service 'db' has protocol tcp: it speaks no HTTP, so 'ready' must be { tcp: true } or { exec: [...] }"]
        },
        {
            "services:\n  db:\n    command: ./db\n    protocol: tcp\n    ready: { grpc: true }\n",
            ["5:14: service 'db' has protocol tcp: it speaks no HTTP, so 'ready' must be { tcp: true } or { exec: [...] }"]
        },
        {
            // The tcp service claims no host, but an http service's implicit hosts still count.
            "services:\n  db:\n    command: ./db\n    protocol: tcp\n  orders:\n    command: ./orders\n  gateway:\n    command: ./gateway\n    routes: { hosts: [db, orders] }\n",
            ["9:27: host 'orders' of service 'gateway' is already routed to service 'orders'"]
        },

        // Durations and flags
        {
            "services:\n  orders:\n    command: ./orders\n    idleTimeout: 10 minutes\n",
            ["4:18: 'idleTimeout' of service 'orders' must be a duration greater than zero like 500ms, 30s, 10m or 1h, or 'never'"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    idleTimeout: 2000h\n",
            ["4:18: 'idleTimeout' of service 'orders' must be at most 1000h; use 'never' to keep it running"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    startTimeout: never\n",
            ["4:19: 'startTimeout' of service 'orders' must be a duration greater than zero like 500ms, 30s, 10m or 1h"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    startTimeout: 0s\n",
            ["4:19: 'startTimeout' of service 'orders' must be a duration greater than zero like 500ms, 30s, 10m or 1h"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    stopGracePeriod: 5\n",
            ["4:22: 'stopGracePeriod' of service 'orders' must be a duration like 500ms, 30s, 10m or 1h"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    requestTimeout: 0s\n",
            ["4:21: 'requestTimeout' of service 'orders' must be a duration greater than zero like 500ms, 30s, 10m or 1h, or 'never'"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    requestTimeout: 30\n",
            ["4:21: 'requestTimeout' of service 'orders' must be a duration greater than zero like 500ms, 30s, 10m or 1h, or 'never'"]
        },
        {
            "services:\n  db:\n    command: ./db\n    protocol: tcp\n    requestTimeout: 30s\n",
            ["5:5: service 'db' has protocol tcp: the mesh pipes its connections without seeing requests, so 'requestTimeout' does not apply"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    maxWaitingRequests: 0\n",
            ["4:25: 'maxWaitingRequests' of service 'orders' must be a whole number from 1 to 1000000"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    maxWaitingRequests: many\n",
            ["4:25: 'maxWaitingRequests' of service 'orders' must be a whole number from 1 to 1000000"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    maxWaitingRequests: [10]\n",
            ["4:25: 'maxWaitingRequests' of service 'orders' must be a whole number from 1 to 1000000"]
        },
        {
            "mesh:\n  maxWaitingRequests: 2000000\nservices:\n  orders:\n    command: ./orders\n",
            ["2:23: 'maxWaitingRequests' in mesh must be a whole number from 1 to 1000000"]
        },
        {
            "mesh:\n  maxWaitingRequests: -5\nservices:\n  orders:\n    command: ./orders\n",
            ["2:23: 'maxWaitingRequests' in mesh must be a whole number from 1 to 1000000"]
        },
        {
            "services:\n  orders:\n    command: ./orders\n    httpProxy: yes\n",
            ["4:16: 'httpProxy' of service 'orders' must be true or false"]
        },
    };
}
