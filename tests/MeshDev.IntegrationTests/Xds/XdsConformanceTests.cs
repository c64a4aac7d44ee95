using System.Text.Json;
using Envoy.Config.Endpoint.V3;
using MeshDev.Activation;
using MeshDev.IntegrationTests.GrpcTests.Infrastructure;
using MeshDev.IntegrationTests.Infrastructure;
using MeshDev.Xds.Resources;

namespace MeshDev.IntegrationTests.XdsTests;

/// <summary>
/// A real independent xDS client (@grpc/grpc-js-xds, tests/js/xds-client.js) resolves <c>xds:///echo</c> through the
/// mesh's ADS server and calls the GrpcTestService. While the service is stopped its endpoint is the activator (its
/// mesh port), which launches it; once it is ready the endpoint is the service itself and calls bypass the mesh
/// (the mesh's request counter does not move); when it stops, the endpoint is the activator again.
/// </summary>
public sealed class XdsConformanceTests
{
    private const string Echo = "echo";

    [Fact]
    public async Task A_proxyless_grpc_client_launches_a_stopped_service_through_the_activator_then_calls_it_directly_and_comes_back_when_it_stops()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho(Echo));
        var service = mesh.Service(Echo);
        var meshPort = mesh.MeshPort(Echo);
        var nodeId = $"xds-conformance-{mesh.Tag}";
        await using var client = await XdsNodeClient.StartAsync(mesh.Host.Manifest.Mesh.XdsPort, Echo, nodeId);

        // Stopped: the endpoint is the activator, which launches the service and holds the call until it is ready.
        var cold = await client.SayAsync();
        Assert.True(cold.Ok, $"{cold.Json}{client.Stderr()}{Environment.NewLine}{mesh.Output()}");
        Assert.Equal(meshPort, cold.PeerPort);
        Assert.Equal(1, service.Launches);
        Assert.Equal(1, service.Requests);

        // Ready: once the client has accepted the service's own address, calls go there, past the mesh.
        var endpoint = service.Endpoint!.Value;
        await WaitUntilClientAcceptsAsync(mesh, nodeId, endpoint.Port, "the service's own address");
        var before = service.Requests;
        for (var i = 0; i < 3; i++)
        {
            var direct = await client.SayAsync();
            Assert.True(direct.Ok, $"{direct.Json}{client.Stderr()}");
            Assert.Equal(endpoint.Port, direct.PeerPort);
            Assert.Equal(cold.Pid, direct.Pid);
        }

        Assert.Equal(before, service.Requests);
        Assert.Equal(before, mesh.Status(Echo).Requests);
        Assert.Equal(1, service.Launches);

        // Stopped again: the endpoint goes back to the activator, and the next call relaunches the service.
        await service.StopAsync();
        await WaitUntilClientAcceptsAsync(mesh, nodeId, meshPort, "the activator");
        var relaunch = await client.SayAsync();
        Assert.True(relaunch.Ok, $"{relaunch.Json}{client.Stderr()}{Environment.NewLine}{mesh.Output()}");
        Assert.Equal(meshPort, relaunch.PeerPort);
        Assert.Equal(before + 1, service.Requests);
        Assert.Equal(2, service.Launches);
        Assert.NotEqual(cold.Pid, relaunch.Pid);
        Assert.Equal(ServiceState.Ready, service.State);

        // The client shows in `meshdev routes` with what it accepted, and it rejected nothing.
        var routes = mesh.Host.GetRoutes();
        var listed = Assert.Single(routes.Xds.Clients, c => c.NodeId == nodeId);
        Assert.StartsWith("gRPC Node", listed.UserAgent, StringComparison.Ordinal);
        Assert.Equal(["CDS", "EDS", "LDS", "RDS"], listed.Subscriptions.Select(s => s.Type));
        Assert.All(listed.Subscriptions, s => Assert.NotNull(s.AcceptedVersion));
        Assert.Empty(routes.Xds.Nacks);
    }

    [Fact]
    public async Task A_proxyless_grpc_client_asking_for_a_service_that_is_not_in_the_manifest_gets_exactly_what_it_asked_for_nothing()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho(Echo));
        var nodeId = $"xds-missing-{mesh.Tag}";
        await using var client = await XdsNodeClient.StartAsync(mesh.Host.Manifest.Mesh.XdsPort, "nope", nodeId, callTimeoutMs: 2000);

        // The channel resolves on its first call. grpc-js-xds waits for a listener it never received (its 15 s
        // does-not-exist timer) and the call ends at its deadline; which code it gets is the client's business.
        var call = await client.SayAsync();

        Assert.False(call.Ok, call.Json);
        await Eventually.UntilAsync(
            () => mesh.Host.XdsClients.Connected.Any(c => c.NodeId == nodeId && c.Subscriptions.Any(s => s.Type == "LDS" && s.AcceptedVersion is not null)),
            new Lazy<string>(() => $"the client to ACK its listener subscription; xDS state: {JsonSerializer.Serialize(mesh.Host.GetRoutes().Xds)}"));
        var listeners = mesh.Host.XdsClients.Connected.Single(c => c.NodeId == nodeId).Subscriptions.Single(s => s.Type == "LDS");
        Assert.False(listeners.Wildcard);
        Assert.Equal(["nope"], listeners.Names);
        Assert.Null(mesh.Host.XdsClients.Accepted(nodeId, XdsTypes.Listener, "nope"));
        Assert.Null(mesh.Host.XdsClients.Accepted(nodeId, XdsTypes.Listener, Echo));
        Assert.Equal(0, mesh.Service(Echo).Launches);
    }

    /// <summary>Waits until the client ACKed a ClusterLoadAssignment for echo whose only endpoint has <paramref name="port"/>.</summary>
    private static Task WaitUntilClientAcceptsAsync(TestMesh mesh, string nodeId, int port, string what) =>
        Eventually.UntilAsync(
            () => mesh.Host.XdsClients.Accepted(nodeId, XdsTypes.ClusterLoadAssignment, Echo) is ClusterLoadAssignment accepted
                && accepted.Endpoints.SelectMany(l => l.LbEndpoints).Select(e => (int)e.Endpoint.Address.SocketAddress.PortValue).SequenceEqual([port]),
            new Lazy<string>(() => $"the xDS client to accept {what} (127.0.0.1:{port}) as echo's endpoint; xDS state: {JsonSerializer.Serialize(mesh.Host.GetRoutes().Xds)}"));
}
