using System.Collections.Immutable;
using MeshDev.Catalog;
using MeshDev.Routing;
using MeshDev.Runtime;

namespace MeshDev.Core.Tests.Routing;

public sealed class RouteMatcherTests
{
    private static readonly MeshManifest Manifest = new("/tmp/meshdev.yaml", new MeshSettings { HttpPort = 15000 },
    [
        Service("frontend", 15101, hosts: ["shop"], paths: ["/shop"]),
        Service("orders", 15102, paths: ["/orders", "/api/orders"]) with { GrpcServices = ["shop.orders.v1.Orders"] },
        Service("db", 15105) with { Protocol = ServiceProtocol.Tcp },
        Service("order-history", 15103, paths: ["/orders/history"]),
        Service("inventory", 15104),
    ]);

    private static ServiceSpec Service(string name, int meshPort, string[]? hosts = null, string[]? paths = null) => new()
    {
        Name = name,
        Command = name,
        WorkingDir = "/tmp",
        MeshPort = meshPort,
        Hosts = [.. hosts ?? []],
        Paths = [.. paths ?? []],
    };

    private static readonly RouteMatcher Matcher = new RoutingTable(Manifest).Matcher;

    [Theory]
    // A service's mesh port takes everything, whatever the Host or path.
    [InlineData(15102, "127.0.0.1:15102", "/", "orders")]
    [InlineData(15102, "inventory", "/shop", "orders")]
    [InlineData(15104, "", "/anything", "inventory")]
    // Shared port: Host, with or without port, alias, .localhost, any case.
    [InlineData(15000, "orders", "/x", "orders")]
    [InlineData(15000, "orders:8080", "/x", "orders")]
    [InlineData(15000, "ORDERS.localhost:15000", "/x", "orders")]
    [InlineData(15000, "shop", "/", "frontend")]
    [InlineData(15000, "frontend.localhost", "/orders", "frontend")]
    // A fully qualified name's trailing dot names the same host (curl http://orders./ sends Host: orders.).
    [InlineData(15000, "orders.", "/x", "orders")]
    [InlineData(15000, "orders.localhost.:15000", "/x", "orders")]
    // Shared port addressed to the mesh itself: longest path prefix, segment-aware.
    [InlineData(15000, "127.0.0.1:15000", "/orders", "orders")]
    [InlineData(15000, "localhost:15000", "/orders/1", "orders")]
    [InlineData(15000, "localhost", "/orders/history/2", "order-history")]
    [InlineData(15000, "[::1]:15000", "/api/orders", "orders")]
    [InlineData(15000, "", "/shop/cart", "frontend")]
    // gRPC by service name: on the mesh's own address, and whatever the :authority when it names no service.
    [InlineData(15000, "127.0.0.1:15000", "/shop.orders.v1.Orders/Get", "orders")]
    [InlineData(15000, "orders.example.com:443", "/shop.orders.v1.Orders/Get", "orders")]
    [InlineData(15000, "shop", "/shop.orders.v1.Orders/Get", "frontend")] // a Host that names a service wins
    // A TCP service is reached on its mesh port only.
    [InlineData(15105, "", "/", "db")]
    public void Matches(int port, string host, string path, string expected) =>
        Assert.Equal(expected, Matcher.Match(port, host, path));

    [Theory]
    [InlineData("unknown", "/orders")]            // unknown Host: never falls back to path prefixes (no open proxy)
    [InlineData("example.com:80", "/orders")]     // absolute-form to a host outside the manifest
    [InlineData("127.0.0.1:15000", "/ordersx")]   // prefix is per segment
    [InlineData("127.0.0.1:15000", "/")]
    [InlineData("localhost", "/inventory")]       // inventory has no path route
    [InlineData("127.0.0.1:15000", "/shop.orders.v1.Payments/Pay")]
    [InlineData("db", "/")]                       // TCP services have no Host route
    [InlineData("orders..", "/x")]                // one trailing dot only
    [InlineData(".", "/orders")]                  // the root is not the mesh's own address
    public void Does_not_match(string host, string path) =>
        Assert.Null(Matcher.Match(15000, host, path));

    [Fact]
    public void Knows_all_services_for_error_messages() =>
        Assert.Equal(["db", "frontend", "inventory", "order-history", "orders"], Matcher.KnownServices);

    [Fact]
    public void Knows_grpc_services_for_unimplemented_messages() =>
        Assert.Equal(["shop.orders.v1.Orders"], Matcher.KnownGrpcServices);

    [Fact]
    public void Stopped_service_keeps_its_route_and_cluster_points_back_at_the_activator()
    {
        var table = new RoutingTable(Manifest);
        RoutingSnapshot? published = null;
        table.Changed += s => published = s;
        var before = table.Current;
        Assert.Empty(before.Clusters["orders"].Endpoints);

        table.SetEndpoints("orders", [new ServiceEndpoint("127.0.0.1", 40000)]);
        Assert.NotNull(published);
        Assert.Equal(before.Version + 1, table.Current.Version);
        Assert.Equal(40000, table.Current.Clusters["orders"].Endpoints.Single().Port);

        table.SetEndpoints("orders", ImmutableArray<ServiceEndpoint>.Empty);
        Assert.Empty(table.Current.Clusters["orders"].Endpoints);
        Assert.Equal(before.SharedRoutes, table.Current.SharedRoutes);
        Assert.Equal("orders", table.Matcher.Match(15000, "orders", "/"));
    }

    [Fact]
    public void Snapshot_is_envoy_shaped()
    {
        var snapshot = new RoutingTable(Manifest).Current;
        Assert.Equal([15000, 15101, 15102, 15105, 15103, 15104], snapshot.Listeners.Select(l => l.Port));
        Assert.Equal(ServiceProtocol.Tcp, snapshot.Listeners.Single(l => l.Service == "db").Protocol);
        Assert.Null(snapshot.Listeners[0].Service);
        var orders = snapshot.SharedRoutes.VirtualHosts.Single(v => v.Name == "orders");
        Assert.Equal(["orders", "orders.localhost"], orders.Domains.ToArray());
        var mesh = snapshot.SharedRoutes.VirtualHosts.Single(v => v.Name == "mesh");
        Assert.Equal(["/shop.orders.v1.Orders", "/orders/history", "/api/orders", "/orders", "/shop"], mesh.Routes.Select(r => r.PathPrefix));
        Assert.True(mesh.Routes[0].Grpc);
        var grpc = snapshot.SharedRoutes.VirtualHosts.Single(v => v.Name == "grpc");
        Assert.Equal(["*"], grpc.Domains.ToArray());
        Assert.DoesNotContain(snapshot.SharedRoutes.VirtualHosts, v => v.Name == "db");
    }
}
