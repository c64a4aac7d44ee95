using MeshDev.Authoring.Compose;
using MeshDev.Catalog;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Authoring.Tests.Compose;

/// <summary>
/// A realistic compose file (Data/shop: a web front, two APIs built from source, a worker, a migration job, postgres,
/// redis, rabbitmq, an x-common anchor merged with '&lt;&lt;', env files, .env, depends_on conditions) imported end to end.
/// </summary>
public sealed class ComposeImportShopTests
{
    private static readonly string ShopDirectory = Path.Combine(AppContext.BaseDirectory, "Compose", "Data", "shop");
    private static readonly string ComposePath = Path.Combine(ShopDirectory, "docker-compose.yml");

    // The process environment stays out of it: only .env and the env files supply variables.
    private static readonly ComposeSources NoEnvironment = new(_ => null, ComposeSources.System.ReadFile);

    [Fact]
    public void The_manifest_is_the_golden_file()
    {
        var result = Import();

        Assert.Equal(File.ReadAllText(Path.Combine(ShopDirectory, "meshdev.expected.yaml")), result.Manifest);
        Assert.Equal(8, result.ServiceCount);
    }

    [Fact]
    public void Every_finding_is_reported_once_in_file_order()
    {
        var result = Import();

        string[] expected =
        [
            "3:1: x-common is an extension field (ignored; anchors defined in it apply where they are used)",
            "4:3: services.orders-api.restart is not supported (ignored): the mesh relaunches a service when it is next called",
            "4:3: services.catalog_api.restart is not supported (ignored): the mesh relaunches a service when it is next called",
            "4:3: services.worker.restart is not supported (ignored): the mesh relaunches a service when it is next called",
            "6:3: services.orders-api.logging is not supported (ignored)",
            "6:3: services.catalog_api.logging is not supported (ignored)",
            "6:3: services.worker.logging is not supported (ignored)",
            "21:7: services.web.healthcheck interval is not needed: the mesh probes readiness at its own fast cadence (ignored)",
            "23:3: services.orders-api listens on 8080, which is the meshPort of web on the host network; make it listen on another port and set that as its port, " +
                "e.g. 'port: 8082' and in its env the app's own setting (ASPNETCORE_HTTP_PORTS: \"8082\" for ASP.NET Core; an app that reads PORT gets it from 'port:')",
            $"25:5: services.orders-api.build: built by compose; build it first with `docker build -t acme-shop-orders-api {ShopDirectory}/orders` or `docker compose build` " +
                "(the manifest runs its image acme-shop-orders-api)",
            "31:9: services.orders-api.ports '9464:9464' is left out: a manifest service has one port (the first, 8080)",
            "36:20: services.orders-api.depends_on.migrate: the mesh does not wait for a service to complete; it launches migrate first and waits until it is ready",
            "40:3: services.catalog_api is named catalog-api in the manifest: service names must be DNS labels (lowercase letters, digits and '-')",
            "40:3: services.catalog_api listens on 8080, which is the meshPort of web on the host network; make it listen on another port and set that as its port, " +
                "e.g. 'port: 8083' and in its env the app's own setting (ASPNETCORE_HTTP_PORTS: \"8083\" for ASP.NET Core; an app that reads PORT gets it from 'port:')",
            $"42:5: services.catalog_api.build: built by compose; build it first with `docker build -t acme-shop-catalog_api {ShopDirectory}/catalog` or `docker compose build` " +
                "(the manifest runs its image acme-shop-catalog_api)",
            "47:9: services.catalog_api.environment DEBUG has no value: compose passes it from the shell, the manifest leaves it out",
            "51:5: services.catalog_api.deploy is not supported (ignored)",
            "57:3: services.worker has no ports: set 'port' to the port it listens on, or it must listen on $PORT (port: auto)",
            "60:5: services.worker.entrypoint replaces the image's ENTRYPOINT, so the image's CMD is dropped too (as Docker does); put its arguments in 'args' if it needs them",
            "62:5: services.worker.privileged: MeshDev never runs privileged containers (ignored)",
            "64:3: services.migrate has no ports: set 'port' to the port it listens on, or it must listen on $PORT (port: auto)",
            $"65:5: services.migrate.build: built by compose; build it first with `docker build -t acme-shop-migrate {ShopDirectory}/migrations` or `docker compose build` " +
                "(the manifest runs its image acme-shop-migrate)",
            "73:5: services.db.container_name is not supported (ignored)",
            "82:7: services.db.healthcheck interval, timeout, retries are not needed: the mesh probes readiness at its own fast cadence (ignored)",
            "90:9: services.redis.volumes tmpfs /data is a tmpfs mount; the manifest has bind mounts and named volumes only (ignored)",
            "97:5: services.rabbitmq.hostname is not supported (ignored)",
            "100:9: services.rabbitmq.ports '15672:15672' is left out: a manifest service has one port (the first, 5672)",
            "103:30: variable RABBITMQ_PASSWORD is not set; it is replaced by an empty string",
            "106:5: services.rabbitmq.networks is not supported (ignored): services reach each other through the mesh",
            "109:1: volumes is not supported (ignored): named volumes are created by Docker when a service first uses them",
            "112:1: networks is not supported (ignored): services run on the host network and reach each other through the mesh",
        ];
        Assert.Equal(expected.Select(finding => $"{ComposePath}:{finding}"), result.Findings.Select(finding => finding.ToString()));
    }

    [Fact]
    public void The_manifest_reads_back_through_YamlDotNet_with_the_values_written()
    {
        var result = Import();

        var stream = new YamlStream();
        stream.Load(new StringReader(result.Manifest!));
        var services = (YamlMappingNode)((YamlMappingNode)stream.Documents[0].RootNode)["services"];

        Assert.Equal(["web", "orders-api", "catalog-api", "worker", "migrate", "db", "redis", "rabbitmq"], services.Children.Keys.Select(key => ((YamlScalarNode)key).Value));
        var orders = (YamlMappingNode)services["orders-api"];
        var env = (YamlMappingNode)orders["env"];
        Assert.Equal("Host=127.0.0.1;Port=15983;Database=orders;Username=postgres;Password=devpassword", ((YamlScalarNode)env["ConnectionStrings__Orders"]).Value);
        Assert.Equal("new-checkout,$kept-as-is", ((YamlScalarNode)env["FEATURE_FLAGS"]).Value);
        Assert.Equal("http://otel-collector:4317", ((YamlScalarNode)env["OTEL_EXPORTER_OTLP_ENDPOINT"]).Value);
        var redisArgs = (YamlSequenceNode)((YamlMappingNode)services["redis"])["args"];
        Assert.Equal(["redis-server", "--appendonly", "yes"], redisArgs.Children.Select(arg => ((YamlScalarNode)arg).Value));
        Assert.Equal("", ((YamlScalarNode)((YamlMappingNode)((YamlMappingNode)services["rabbitmq"])["env"])["RABBITMQ_DEFAULT_PASS"]).Value);
    }

    [Fact]
    public void Relative_host_paths_point_at_the_same_folders_from_another_manifest_folder()
    {
        var elsewhere = Path.Combine(ShopDirectory, "deploy", "local");

        var result = ComposeImporter.Import(File.ReadAllText(ComposePath), ComposePath, elsewhere, NoEnvironment);

        Assert.Contains("    volumes: [../../web/nginx.conf:/etc/nginx/conf.d/default.conf:ro]\n", result.Manifest);
        Assert.Contains("      - ../../db/init.sql:/docker-entrypoint-initdb.d/init.sql:ro\n", result.Manifest);
    }

    [Fact]
    public void The_manifest_written_next_to_the_compose_file_is_valid_once_the_reported_ports_are_moved()
    {
        var directory = Directory.CreateTempSubdirectory("meshdev-compose-").FullName;
        try
        {
            CopyDirectory(ShopDirectory, directory);
            var composePath = Path.Combine(directory, "docker-compose.yml");
            var result = ComposeImporter.Import(File.ReadAllText(composePath), composePath, sources: NoEnvironment);
            var manifestPath = Path.Combine(directory, "meshdev.yaml");
            File.WriteAllText(manifestPath, result.Manifest);

            // The two APIs listen on web's published 8080: the loader refuses exactly what the import reported.
            var refused = Assert.Throws<ManifestException>(() => ManifestLoader.Load(manifestPath));
            Assert.Equal(
                ["port 8080 of service 'orders-api' is the meshPort of service 'web'", "port 8080 of service 'catalog-api' is the meshPort of service 'web'"],
                refused.Errors.Select(error => error.Message));

            // The fix the findings name: 'port: 8082' for orders-api, then 'port: 8083' for catalog-api (in file order).
            var moved = new System.Text.RegularExpressions.Regex("    port: 8080\n").Replace(result.Manifest!, "    port: 8082\n", 1);
            File.WriteAllText(manifestPath, moved.Replace("    port: 8080\n", "    port: 8083\n", StringComparison.Ordinal));
            var manifest = ManifestLoader.Load(manifestPath);

            Assert.Equal(["web", "orders-api", "catalog-api", "worker", "migrate", "db", "redis", "rabbitmq"], manifest.Services.Select(s => s.Name));
            Assert.All(manifest.Services, service => Assert.Equal(RuntimeKind.Docker, service.Runtime));
            Assert.All(manifest.Services, service => Assert.Equal(ContainerNetwork.Host, service.Container!.Network));
            var db = manifest.Find("db")!;
            Assert.Equal(ServiceProtocol.Tcp, db.Protocol);
            Assert.Equal(5432, db.Port);
            Assert.Contains($"Host=127.0.0.1;Port={db.MeshPort};", manifest.Find("orders-api")!.Env["ConnectionStrings__Orders"], StringComparison.Ordinal);
            Assert.Equal($"127.0.0.1:{manifest.Find("redis")!.MeshPort}", manifest.Find("catalog-api")!.Env["Redis__Configuration"]);
            Assert.Equal(8080, manifest.Find("web")!.MeshPort);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static ComposeImportResult Import() => ComposeImporter.Import(File.ReadAllText(ComposePath), ComposePath, sources: NoEnvironment);
}
