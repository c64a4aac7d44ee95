using MeshDev.Xds.Bootstrap;
using MeshDev.Xds.Resources;
using MeshDev.Xds.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Xds.Tests.Bootstrap;

/// <summary>
/// <c>meshdev routes --envoy</c>: no Envoy binary can be installed on these machines, so the bootstrap is checked
/// against Envoy's own v3 schema instead (the upstream protos vendored with @grpc/grpc-js-xds, compiled by protoc):
/// every field exists where it is written, with a value of its type.
/// </summary>
public sealed class EnvoyBootstrapTests
{
    private const string Bootstrap = "envoy.config.bootstrap.v3.Bootstrap";

    [Fact]
    public async Task The_bootstrap_is_an_envoy_v3_bootstrap_by_the_upstream_schema()
    {
        string[] files =
        [
            "envoy/config/bootstrap/v3/bootstrap.proto",
            // The types its Any fields hold.
            "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto",
            "envoy/extensions/filters/http/router/v3/router.proto",
            "envoy/extensions/upstreams/http/v3/http_protocol_options.proto",
        ];
        var descriptorSet = await Protoc.CompileAsync(Protoc.UpstreamIncludes, files);
        try
        {
            var descriptors = Google.Protobuf.Reflection.FileDescriptorSet.Parser.ParseFrom(await File.ReadAllBytesAsync(descriptorSet));
            var text = new YamlToTextFormat(descriptors).Convert(EnvoyBootstrap.Render(xdsPort: 15010, listenPort: 10000), Bootstrap);

            var errors = await Protoc.EncodeAsync(descriptorSet, Bootstrap, text);

            Assert.True(errors.Length == 0, errors);
        }
        finally
        {
            File.Delete(descriptorSet);
        }
    }

    [Fact]
    public async Task The_schema_check_notices_a_field_that_envoy_would_reject()
    {
        var descriptorSet = await Protoc.CompileAsync(Protoc.UpstreamIncludes, ["envoy/config/bootstrap/v3/bootstrap.proto", "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto"]);
        try
        {
            var descriptors = Google.Protobuf.Reflection.FileDescriptorSet.Parser.ParseFrom(await File.ReadAllBytesAsync(descriptorSet));
            var misspelled = EnvoyBootstrap.Render(15010).Replace("route_config_name:", "route_config:", StringComparison.Ordinal);

            var failure = Assert.ThrowsAny<Exception>(() => new YamlToTextFormat(descriptors).Convert(misspelled, Bootstrap));

            Assert.Contains("HttpConnectionManager).rds.route_config: envoy.extensions.filters.network.http_connection_manager.v3.Rds has no field 'route_config'", failure.Message);
        }
        finally
        {
            File.Delete(descriptorSet);
        }
    }

    [Fact]
    public void The_bootstrap_takes_everything_over_ads_from_the_mesh_xds_port_and_routes_like_the_shared_port()
    {
        var root = Load(EnvoyBootstrap.Render(xdsPort: 16010, listenPort: 10001, nodeId: "edge"));

        Assert.Equal("edge", Value(root, "node", "id"));
        Assert.Equal("GRPC", Value(root, "dynamic_resources", "ads_config", "api_type"));
        Assert.Equal("xds_cluster", Value(Item(Node(root, "dynamic_resources", "ads_config", "grpc_services"), 0), "envoy_grpc", "cluster_name"));
        foreach (var source in new[] { "lds_config", "cds_config" })
        {
            Assert.IsType<YamlMappingNode>(Node(root, "dynamic_resources", source, "ads"));
            Assert.Equal("V3", Value(root, "dynamic_resources", source, "resource_api_version"));
        }

        var xds = Item(Node(root, "static_resources", "clusters"), 0);
        Assert.Equal(("xds_cluster", "STATIC"), (Value(xds, "name"), Value(xds, "type")));
        Assert.IsType<YamlMappingNode>(Node(xds, "typed_extension_protocol_options", "envoy.extensions.upstreams.http.v3.HttpProtocolOptions", "explicit_http_config", "http2_protocol_options"));
        var address = Node(Item(Node(Item(Node(xds, "load_assignment", "endpoints"), 0), "lb_endpoints"), 0), "endpoint", "address", "socket_address");
        Assert.Equal(("127.0.0.1", "16010"), (Value(address, "address"), Value(address, "port_value")));

        var listener = Item(Node(root, "static_resources", "listeners"), 0);
        Assert.Equal(("127.0.0.1", "10001"), (Value(listener, "address", "socket_address", "address"), Value(listener, "address", "socket_address", "port_value")));
        var manager = Node(Item(Node(Item(Node(listener, "filter_chains"), 0), "filters"), 0), "typed_config");
        Assert.Equal(XdsSnapshotBuilder.SharedRouteConfigurationName, Value(manager, "rds", "route_config_name"));
        Assert.Equal("envoy.filters.http.router", Value(Item(Node(manager, "http_filters"), 0), "name"));
        Assert.False(((YamlMappingNode)root).Children.ContainsKey("admin"));
    }

    private static YamlNode Load(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Single().RootNode;
    }

    private static YamlNode Node(YamlNode node, params string[] path) =>
        path.Aggregate(node, (current, key) => ((YamlMappingNode)current).Children[new YamlScalarNode(key)]);

    private static YamlNode Item(YamlNode sequence, int index) => ((YamlSequenceNode)sequence).Children[index];

    private static string? Value(YamlNode node, params string[] path) => ((YamlScalarNode)Node(node, path)).Value;
}
