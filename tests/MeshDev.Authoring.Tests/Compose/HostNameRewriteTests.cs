using MeshDev.Authoring.Compose;
using MeshDev.Catalog;
using static MeshDev.Authoring.Tests.Compose.ComposeTestImport;

namespace MeshDev.Authoring.Tests.Compose;

/// <summary>Compose host names in <c>env</c> become the mesh's addresses, and every rewrite is listed.</summary>
public sealed class HostNameRewriteTests
{
    private const string Shop = """
        services:
          web:
            image: shop/web
            ports: ["8000:80"]
            environment:
              DATABASE_URL: postgres://u:p@db:5432/app
              CACHE_URL: redis://cache:6379
              API: http://api:8080/x
              API_ADMIN: http://api:9090/admin
              PLAIN: cache:6379
              DB_HOST: db
              DB_PORT: "5432"
              DB_NAME: db
              ELSEWHERE: http://db.example.com:5432 and http://dbx:1
              OWN: http://web/healthz
          api:
            image: shop/api
            expose: ["8080"]
            environment:
              ConnectionStrings__Shop: Host=db;Database=app
              LEGACY: Server=db;Port=5432;Database=app
          db:
            image: postgres:16
          cache:
            image: redis:7
        """;

    [Fact]
    public void Urls_and_host_ports_of_other_services_point_at_their_mesh_ports()
    {
        var result = Import(Shop);
        var ports = MeshPorts(result);

        Assert.Equal(
            "runtime: docker\nimage: shop/web\nenv:\n" +
            $"  DATABASE_URL: postgres://u:p@127.0.0.1:{ports["db"]}/app\n" +
            $"  CACHE_URL: redis://127.0.0.1:{ports["cache"]}\n" +
            $"  API: http://127.0.0.1:{ports["api"]}/x\n" +
            "  API_ADMIN: http://127.0.0.1:9090/admin\n" +
            $"  PLAIN: 127.0.0.1:{ports["cache"]}\n" +
            "  DB_HOST: 127.0.0.1\n" +
            "  DB_PORT: \"5432\"\n" +
            "  DB_NAME: db\n" +
            "  ELSEWHERE: http://db.example.com:5432 and http://dbx:1\n" +
            "  OWN: http://127.0.0.1:8000/healthz\n" +
            "port: 80\nmeshPort: 8000\n",
            Service(result, "web"));
        Assert.Contains($"  ConnectionStrings__Shop: Host=127.0.0.1;Port={ports["db"]};Database=app\n", Service(result, "api"), StringComparison.Ordinal);
        Assert.Contains($"  LEGACY: Server=127.0.0.1;Port={ports["db"]};Database=app\n", Service(result, "api"), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_rewrite_is_listed_with_its_service_variable_and_both_values()
    {
        var result = Import(Shop);
        var ports = MeshPorts(result);

        Assert.Equal(
        [
            $"web DATABASE_URL: postgres://u:p@db:5432/app → postgres://u:p@127.0.0.1:{ports["db"]}/app",
            $"web CACHE_URL: redis://cache:6379 → redis://127.0.0.1:{ports["cache"]}",
            $"web API: http://api:8080/x → http://127.0.0.1:{ports["api"]}/x",
            "web API_ADMIN: http://api:9090/admin → http://127.0.0.1:9090/admin",
            $"web PLAIN: cache:6379 → 127.0.0.1:{ports["cache"]}",
            "web DB_HOST: db → 127.0.0.1",
            "web OWN: http://web/healthz → http://127.0.0.1:8000/healthz",
            $"api ConnectionStrings__Shop: Host=db;Database=app → Host=127.0.0.1;Port={ports["db"]};Database=app",
            $"api LEGACY: Server=db;Port=5432;Database=app → Server=127.0.0.1;Port={ports["db"]};Database=app",
        ],
            result.Rewrites.Select(rewrite => rewrite.ToString()));
    }

    [Fact]
    public void The_mesh_ports_written_out_are_the_ones_the_manifest_loader_would_assign()
    {
        var result = Import(Shop);

        // Written out, the ports stay right whatever mesh.portRange says later; left out, the loader gives the same ones.
        var written = MeshPorts(result);
        var withoutMeshPorts = string.Join('\n', result.Manifest!.Split('\n').Where(line => !line.StartsWith("    meshPort: 1", StringComparison.Ordinal)));
        var assigned = ManifestLoader.Parse(withoutMeshPorts, "/shop/meshdev.yaml");

        Assert.Equal(3, result.Manifest!.Split('\n').Count(line => line.StartsWith("    meshPort: 1", StringComparison.Ordinal)));
        foreach (var name in new[] { "db", "cache", "api" })
        {
            Assert.Equal(assigned.Find(name)!.MeshPort, written[name]);
        }
    }

    [Fact]
    public void A_renamed_service_is_found_by_its_compose_name_in_any_case()
    {
        var result = Import("services:\n  web:\n    image: web\n    environment:\n      CATALOG: http://Catalog_API:8080/items\n  catalog_api:\n    image: catalog\n    expose: [\"8080\"]\n");
        var ports = MeshPorts(result);

        Assert.Equal([$"web CATALOG: http://Catalog_API:8080/items → http://127.0.0.1:{ports["catalog-api"]}/items"], result.Rewrites.Select(rewrite => rewrite.ToString()));
        Assert.Equal($"runtime: docker\nimage: catalog\nport: 8080\nmeshPort: {ports["catalog-api"]}\n", Service(result, "catalog-api"));
    }

    [Fact]
    public void Without_references_no_mesh_port_is_written_and_nothing_is_listed()
    {
        var result = Import("services:\n  web:\n    image: web\n    environment:\n      MODE: api\n  api:\n    image: api\n    expose: [\"8080\"]\n");

        Assert.Equal("runtime: docker\nimage: api\nport: 8080\n", Service(result, "api"));
        Assert.Empty(result.Rewrites);
    }

    /// <summary>The <c>meshPort</c> each service has in the written manifest.</summary>
    private static Dictionary<string, int> MeshPorts(ComposeImportResult result)
    {
        var manifest = ManifestLoader.Parse(result.Manifest!, "/shop/meshdev.yaml");
        return manifest.Services.ToDictionary(service => service.Name, service => service.MeshPort);
    }
}
