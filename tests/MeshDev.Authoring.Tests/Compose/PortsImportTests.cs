using static MeshDev.Authoring.Tests.Compose.ComposeTestImport;

namespace MeshDev.Authoring.Tests.Compose;

/// <summary><c>ports</c>, <c>expose</c> and <c>network_mode</c> → <c>port</c> and <c>meshPort</c>, on the host network.</summary>
public sealed class PortsImportTests
{
    private const string NoPorts = "2:3: services.app has no ports: set 'port' to the port it listens on, or it must listen on $PORT (port: auto)";

    // The service is written as "services:\n  app:\n    image: app\n    ports: [ROW]": the first item starts at 4:13.
    public static TheoryData<string, string, string[]> Ports => new()
    {
        { "\"80\"", "port: 80\n", [] },
        { "8080", "port: 8080\n", [] },
        { "\"80/tcp\"", "port: 80\n", [] },
        { "\"8080:80\"", "port: 80\nmeshPort: 8080\n", [] },
        { "\"127.0.0.1:8080:80\"", "port: 80\nmeshPort: 8080\n", [] },
        { "\"127.0.0.1::80\"", "port: 80\n", [] },
        { "\"[::1]:8080:80/tcp\"", "port: 80\nmeshPort: 8080\n", [] },
        { "{target: 80, published: \"8080\", host_ip: 127.0.0.1, protocol: tcp, mode: host, name: web}", "port: 80\nmeshPort: 8080\n", [] },
        { "{target: 80, published: 8080}", "port: 80\nmeshPort: 8080\n", [] },
        { "{target: 80}", "port: 80\n", [] },
        { "{target: 80, host_ip: \"::1\"}", "port: 80\n", [] },
        {
            "\"8080:80\", \"8443:443\"", "port: 80\nmeshPort: 8080\n",
            ["4:24: services.app.ports '8443:443' is left out: a manifest service has one port (the first, 80)"]
        },
        {
            "\"53:53/udp\", \"8080:80\"", "port: 80\nmeshPort: 8080\n",
            ["4:13: services.app.ports '53:53/udp' is a UDP port; the mesh forwards TCP only (ignored)"]
        },
        { "{target: 53, protocol: udp}", "", [NoPorts, "4:13: services.app.ports '53/udp' is a UDP port; the mesh forwards TCP only (ignored)"] },
        { "\"8000-8001:8000-8001\"", "", [NoPorts, "4:13: services.app.ports '8000-8001:8000-8001' is a port range; a manifest service has one port (ignored)"] },
        { "\"9000-9001\"", "", [NoPorts, "4:13: services.app.ports '9000-9001' is a port range; a manifest service has one port (ignored)"] },
        { "\"http\"", "", [NoPorts, "4:13: services.app.ports 'http' is not a valid port mapping (ignored)"] },
        { "\"70000\"", "", [NoPorts, "4:13: services.app.ports '70000' is not a valid port mapping (ignored)"] },
        { "\"1:2:3:4\"", "", [NoPorts, "4:13: services.app.ports '1:2:3:4' is not a valid port mapping (ignored)"] },
        { "{published: 8080}", "", [NoPorts, "4:13: services.app.ports entry has no 'target' (ignored)"] },
        { "{target: 80, x: 1}", "port: 80\n", ["4:26: services.app.ports.x is not supported (ignored)"] },
        {
            "\"8080:8080\"", "port: 8080\n", []
        },
        {
            "\"80:8080\"", "port: 8080\nmeshPort: 80\n",
            ["4:5: services.app.ports publishes 80, which becomes its meshPort: ports below 1024 need root; choose another meshPort"]
        },
    };

    [Theory]
    [MemberData(nameof(Ports))]
    public void Ports_map_to_port_and_meshPort(string ports, string expected, string[] findings)
    {
        var result = Import($"services:\n  app:\n    image: app\n    ports: [{ports}]\n");

        Assert.Equal("runtime: docker\nimage: app\n" + expected, Service(result, "app"));
        Assert.Equal(findings, Findings(result));
    }

    [Fact]
    public void Without_ports_the_first_exposed_port_is_the_port_and_the_network_stays_host()
    {
        var result = Import("services:\n  app:\n    image: app\n    expose: [\"3000-3001\", \"8080/tcp\", 9090]\n");

        Assert.Equal("runtime: docker\nimage: app\nport: 8080\n", Service(result, "app"));
        Assert.Empty(Findings(result));
    }

    [Fact]
    public void Ports_win_over_expose()
    {
        var result = Import("services:\n  app:\n    image: app\n    expose: [\"9090\"]\n    ports: [\"8080\"]\n");

        Assert.Equal("runtime: docker\nimage: app\nport: 8080\n", Service(result, "app"));
    }

    [Fact]
    public void Network_mode_host_is_the_default_and_needs_no_finding()
    {
        var result = Import("services:\n  app:\n    image: app\n    network_mode: host\n    ports: [\"8080:80\"]\n");

        Assert.Equal("runtime: docker\nimage: app\nport: 80\nmeshPort: 8080\n", Service(result, "app"));
        Assert.Empty(Findings(result));
    }

    [Theory]
    [InlineData("bridge")]
    [InlineData("none")]
    [InlineData("\"service:db\"")]
    public void Other_network_modes_become_the_host_network(string mode)
    {
        var result = Import($"services:\n  app:\n    image: app\n    network_mode: {mode}\n    expose: [\"80\"]\n");

        Assert.Equal("runtime: docker\nimage: app\nport: 80\n", Service(result, "app"));
        Assert.Equal(
            [$"4:19: services.app.network_mode '{mode.Trim('"')}' is not carried over: imported services use the host network, where they reach each other through the mesh"],
            Findings(result));
    }

    [Theory]
    [InlineData("postgres:16-alpine", null, 5432)]
    [InlineData("docker.io/library/mysql:8.4", null, 3306)]
    [InlineData("mariadb:11", null, 3306)]
    [InlineData("bitnami/redis:7.2", null, 6379)]
    [InlineData("mongo@sha256:0123", null, 27017)]
    [InlineData("registry.example.com:5000/ops/rabbitmq:3-management", null, 5672)]
    [InlineData("memcached", null, 11211)]
    [InlineData("bitnami/postgresql:16", null, 5432)]
    [InlineData("mongodb/mongodb-community-server", null, 27017)]
    [InlineData("postgres:16", "\"15432:5432\"", 5432)]
    [InlineData("acme/cache", "\"6379\"", 6379)]
    [InlineData("acme/queue", "\"5672\"", 5672)]
    public void Databases_caches_and_brokers_are_tcp_services_on_their_usual_port(string image, string? ports, int port)
    {
        var result = Import($"services:\n  store:\n    image: {image}\n" + (ports is null ? "" : $"    ports: [{ports}]\n"));

        var service = Service(result, "store");
        Assert.Contains($"\nport: {port}\n", service);
        Assert.Contains("\nprotocol: tcp\n", service);
        Assert.DoesNotContain(result.Findings, finding => finding.Message.Contains("has no ports", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("nginx", "\"80\"")]
    [InlineData("acme/postgres-admin", "\"8080\"")]
    [InlineData("mongo-express:1", "\"8081:8081\"")]
    [InlineData("redis_insight", "\"5540\"")]
    public void Other_services_keep_the_http_default(string image, string ports)
    {
        var result = Import($"services:\n  app:\n    image: {image}\n    ports: [{ports}]\n");

        Assert.DoesNotContain("protocol", Service(result, "app"));
    }
}
