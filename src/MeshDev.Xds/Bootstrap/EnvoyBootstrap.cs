using System.Globalization;
using System.Text.Json;
using MeshDev.Xds.Resources;

namespace MeshDev.Xds.Bootstrap;

/// <summary>
/// An Envoy bootstrap (YAML, <c>envoy -c</c>) that joins the mesh: listeners, clusters and endpoints over ADS from
/// the mesh's xDS port, and one HTTP listener on 127.0.0.1 whose routes are the shared port's (RDS
/// <see cref="XdsSnapshotBuilder.SharedRouteConfigurationName"/>): by Host, path prefix and gRPC service, to the
/// services' clusters. No admin interface.
/// </summary>
public static class EnvoyBootstrap
{
    /// <summary>The port of Envoy's HTTP listener unless told otherwise (Envoy's examples use it too).</summary>
    public const int DefaultListenPort = 10000;

    public const string DefaultNodeId = "meshdev-envoy";
    public const string NodeCluster = "meshdev";
    public const string XdsClusterName = "xds_cluster";

    /// <param name="xdsPort">The mesh's ADS port (<c>mesh.xds</c>).</param>
    /// <param name="listenPort">Where Envoy listens for HTTP (h2c and HTTP/1.1).</param>
    /// <param name="nodeId">The node id Envoy reports; <c>meshdev routes</c> lists clients by it.</param>
    public static string Render(int xdsPort, int listenPort = DefaultListenPort, string nodeId = DefaultNodeId)
    {
        var xds = xdsPort.ToString(CultureInfo.InvariantCulture);
        var listen = listenPort.ToString(CultureInfo.InvariantCulture);
        var node = JsonSerializer.Serialize(nodeId); // a JSON string is a YAML double-quoted scalar
        return $$"""
            # Envoy bootstrap for the MeshDev mesh whose ADS server is 127.0.0.1:{{xds}} (meshdev routes --envoy).
            # envoy -c envoy.yaml   then   curl -H 'Host: orders' http://127.0.0.1:{{listen}}/
            # Clusters and endpoints come over ADS: a stopped service's endpoint is its mesh port (the activator, which
            # launches it), a ready service's is the service itself. The listener routes like the mesh's shared port.
            node:
              id: {{node}}
              cluster: {{NodeCluster}}
            dynamic_resources:
              ads_config:
                api_type: GRPC
                transport_api_version: V3
                grpc_services:
                - envoy_grpc:
                    cluster_name: {{XdsClusterName}}
              cds_config:
                ads: {}
                resource_api_version: V3
              # The mesh's listeners are api_listeners for proxyless gRPC clients: Envoy logs that it skips them.
              lds_config:
                ads: {}
                resource_api_version: V3
            static_resources:
              listeners:
              - name: meshdev_http
                address:
                  socket_address:
                    address: 127.0.0.1
                    port_value: {{listen}}
                filter_chains:
                - filters:
                  - name: envoy.filters.network.http_connection_manager
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                      stat_prefix: meshdev_http
                      codec_type: AUTO
                      rds:
                        route_config_name: {{XdsSnapshotBuilder.SharedRouteConfigurationName}}
                        config_source:
                          ads: {}
                          resource_api_version: V3
                      http_filters:
                      - name: envoy.filters.http.router
                        typed_config:
                          "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
              clusters:
              - name: {{XdsClusterName}}
                type: STATIC
                connect_timeout: 1s
                typed_extension_protocol_options:
                  envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
                    "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
                    explicit_http_config:
                      http2_protocol_options: {}
                load_assignment:
                  cluster_name: {{XdsClusterName}}
                  endpoints:
                  - lb_endpoints:
                    - endpoint:
                        address:
                          socket_address:
                            address: 127.0.0.1
                            port_value: {{xds}}

            """;
    }
}
