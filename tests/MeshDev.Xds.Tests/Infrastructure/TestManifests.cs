using MeshDev.Catalog;
using MeshDev.Routing;

namespace MeshDev.Xds.Tests.Infrastructure;

/// <summary>Manifests for the snapshot and ADS tests, parsed (validated) like real ones; nothing is launched.</summary>
internal static class TestManifests
{
    /// <summary>
    /// orders (gRPC and HTTP, an alias and a path), billing (HTTP, path /billing), cache (TCP); mesh ports 15101..15103.
    /// </summary>
    public const string Shop = """
        mesh:
          http: 15000
          xds: 15010
        services:
          orders:
            command: ./orders
            meshPort: 15101
            ready: { grpc: true }
            routes:
              hosts: [orders-api]
              paths: [/orders]
              grpc: [shop.orders.v1.Orders, shop.orders.v1.Admin]
          billing:
            command: ./billing
            meshPort: 15102
            ready: { http: /healthz }
            routes:
              paths: [/billing]
          cache:
            command: ./cache
            meshPort: 15103
            protocol: tcp
            ready: { tcp: true }
        """;

    /// <summary><see cref="Shop"/> plus a fourth service, payments (gRPC), mesh port 15104.</summary>
    public const string ShopWithPayments = Shop + """

          payments:
            command: ./payments
            meshPort: 15104
            ready: { grpc: true }
            routes:
              grpc: [shop.payments.v1.Payments]
        """;

    public static MeshManifest Parse(string yaml) => ManifestLoader.Parse(yaml, "/tmp/meshdev-xds-tests/meshdev.yaml");

    public static RoutingTable Routing(string yaml = Shop) => new(Parse(yaml));
}
