using MeshDev.Catalog;

namespace MeshDev.Core.Tests.Catalog;

public sealed class MeshPortAssignerTests
{
    private static readonly MeshSettings Mesh = new();

    [Theory]
    [InlineData("", 0x811c9dc5u)]
    [InlineData("a", 0xe40c292cu)]
    [InlineData("foobar", 0xbf9cf968u)]
    public void Fnv1a_matches_the_published_test_vectors(string text, uint expected) =>
        Assert.Equal(expected, MeshPortAssigner.Fnv1a(text));

    [Fact]
    public void Port_comes_from_the_name_hash_and_is_the_same_on_every_run()
    {
        // FNV-1a("orders") = 0x325e96ec; 0x325e96ec % 900 = 320. Fixed numbers guard against a per-process hash.
        var first = Assign(Services("orders", "billing", "catalog"));
        var second = Assign(Services("catalog", "orders", "billing"));

        Assert.Equal(15420, first["orders"]);
        Assert.Equal(first, second);
    }

    [Fact]
    public void Adding_a_service_keeps_the_ports_of_the_others()
    {
        var names = Enumerable.Range(0, 40).Select(i => $"service-{i}").ToArray();
        var before = Assign(Services(names));

        var after = Assign(Services([.. names, "newcomer"]));

        var moved = names.Count(name => before[name] != after[name]);
        Assert.True(moved <= 1, $"{moved} services changed port");
        Assert.DoesNotContain(after["newcomer"], names.Select(name => after[name]));
    }

    [Fact]
    public void Taken_ports_are_skipped_by_probing_upward()
    {
        var natural = Assign(Services("orders"))["orders"];
        var services = new[]
        {
            Service("orders"),
            Service("explicit") with { MeshPort = natural },
            Service("fixed") with { Port = natural + 1, MeshPort = 15001 },
            Service("remote") with { Runtime = RuntimeKind.Remote, Url = new Uri($"http://127.0.0.1:{natural + 2}"), MeshPort = 15002 },
        };

        var ports = Assign(services);

        Assert.Equal(natural + 3, ports["orders"]);
        Assert.Equal(natural, ports["explicit"]);
    }

    [Fact]
    public void Probing_wraps_to_the_start_of_the_range_and_skips_the_shared_port()
    {
        // A three-port range holding the shared port: FNV-1a("orders") % 3 = 2, the last port, which is taken.
        var mesh = new MeshSettings { HttpPort = 100, PortRangeStart = 100, PortRangeEnd = 102 };
        var services = new[] { Service("orders"), Service("other") with { MeshPort = 102 } };

        var ports = Assign(services, mesh);

        Assert.Equal(101, ports["orders"]);
    }

    [Fact]
    public void The_xds_port_is_never_handed_out()
    {
        var natural = Assign(Services("orders"))["orders"];
        var mesh = new MeshSettings { XdsPort = natural };

        var ports = Assign(Services("orders"), mesh);

        Assert.Equal(natural + 1, ports["orders"]);
    }

    [Fact]
    public void A_range_holding_only_the_shared_and_xds_ports_has_no_room()
    {
        var mesh = new MeshSettings { HttpPort = 20000, XdsPort = 20001, PortRangeStart = 20000, PortRangeEnd = 20001 };
        var diagnostics = new ManifestDiagnostics("/m/meshdev.yaml");

        var result = MeshPortAssigner.Assign(Services("orders"), mesh, diagnostics);

        Assert.Equal(["/m/meshdev.yaml:3:3: no free mesh port left in portRange 20000-20001 for service 'orders'; widen mesh.portRange or give the service a meshPort"],
            diagnostics.Errors.Select(e => e.ToString()));
        Assert.Equal(0, result[0].MeshPort);
    }

    [Fact]
    public void Every_service_gets_a_distinct_port_in_the_range()
    {
        var mesh = new MeshSettings { PortRangeStart = 20000, PortRangeEnd = 20009 };
        var names = Enumerable.Range(0, 10).Select(i => $"s{i}").ToArray();

        var ports = Assign(Services(names), mesh);

        Assert.Equal(Enumerable.Range(20000, 10), ports.Values.Order());
    }

    [Fact]
    public void Exhausted_range_is_a_manifest_error_for_each_service_left_without_a_port()
    {
        var mesh = new MeshSettings { PortRangeStart = 20000, PortRangeEnd = 20001 };
        var diagnostics = new ManifestDiagnostics("/m/meshdev.yaml");
        var services = Services("c", "a", "b", "d");

        var result = MeshPortAssigner.Assign(services, mesh, diagnostics);

        // Name order decides who is served first: a and b get the two ports.
        Assert.Equal(["/m/meshdev.yaml:3:3: no free mesh port left in portRange 20000-20001 for service 'c'; widen mesh.portRange or give the service a meshPort",
                      "/m/meshdev.yaml:12:3: no free mesh port left in portRange 20000-20001 for service 'd'; widen mesh.portRange or give the service a meshPort"],
            diagnostics.Errors.Select(e => e.ToString()));
        Assert.Equal(["c", "a", "b", "d"], result.Select(s => s.Name));
        Assert.Equal([0, 0], new[] { result[0].MeshPort, result[3].MeshPort });
    }

    private static Dictionary<string, int> Assign(IReadOnlyList<ServiceSpec> services, MeshSettings? mesh = null)
    {
        var diagnostics = new ManifestDiagnostics("/m/meshdev.yaml");
        var result = MeshPortAssigner.Assign(services, mesh ?? Mesh, diagnostics);
        Assert.False(diagnostics.HasErrors);
        return result.ToDictionary(s => s.Name, s => s.MeshPort);
    }

    private static ServiceSpec[] Services(params string[] names) =>
        [.. names.Select((name, index) => Service(name) with { Location = new SourceLocation("/m/meshdev.yaml", 3 * index + 3, 3) })];

    private static ServiceSpec Service(string name) => new() { Name = name, WorkingDir = "/m", Command = "./" + name };
}
