using System.Net;
using Grpc.Core;
using MeshDev.Activation;
using MeshDev.IntegrationTests.Infrastructure;
using V1 = MeshDev.Control.V1;

namespace MeshDev.IntegrationTests.ControlApi;

/// <summary>
/// The control API answers on the control port only, and the control port is no way into the mesh: a control call on
/// the shared port, a mesh port or the xDS port is not served (even with the right token), and a request on the control
/// port is never proxied to a service.
/// </summary>
public sealed class ControlPortTests
{
    [Fact]
    public async Task A_control_call_with_the_right_token_is_not_served_on_the_mesh_ports_nor_on_the_xds_port()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("front"));
        var token = new Metadata { { "authorization", $"Bearer {mesh.Host.Info.Token}" } };

        foreach (var (port, what) in new[] { (mesh.SharedPort, "shared port"), (mesh.Manifest.XdsPort, "xDS port"), (mesh.MeshPort("front"), "front's mesh port") })
        {
            using var channel = ControlChannel.For($"http://127.0.0.1:{port}");
            var control = new V1.Control.ControlClient(channel);

            var ex = await Assert.ThrowsAsync<RpcException>(() => control.GetStatusAsync(new V1.GetStatusRequest(), token).ResponseAsync);

            // The shared port and the xDS port know no such gRPC service; front's mesh port hands the call to front.
            Assert.True(ex.StatusCode != StatusCode.OK, $"GetStatus on the {what} answered");
            Assert.DoesNotContain("daemon.json", ex.Status.Detail);
        }

        Assert.False(mesh.Host.ShutdownRequested.IsCompleted);
        using var control2 = ControlChannel.For($"http://127.0.0.1:{mesh.SharedPort}");
        var shutdown = await Assert.ThrowsAsync<RpcException>(() => new V1.Control.ControlClient(control2).ShutdownAsync(new V1.ShutdownRequest(), token).ResponseAsync);
        Assert.Equal(StatusCode.Unimplemented, shutdown.StatusCode);
        Assert.False(mesh.Host.ShutdownRequested.IsCompleted, "Shutdown on the shared port stopped the mesh");
    }

    [Fact]
    public async Task A_request_on_the_control_port_is_never_forwarded_to_a_service()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("front", hosts: ["www"], paths: ["/front"]));
        var control = new Uri(mesh.Host.Info.ControlUrl);

        foreach (var host in new[] { "front", "www", "front.route.meshdev.invalid", control.Authority })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(control, "/front/whoami"));
            request.Headers.Host = host;
            using var response = await mesh.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        Assert.Equal(ServiceState.Stopped, mesh.Service("front").State);
        Assert.Equal(0, mesh.Service("front").Launches);
    }

    [Fact]
    public async Task The_control_port_serves_grpc_over_h2c_and_http1_on_the_same_port()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("front"));
        var control = new Uri(mesh.Host.Info.ControlUrl);

        using var http1 = new HttpRequestMessage(HttpMethod.Get, new Uri(control, "/no-such-page")) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var answer = await mesh.Http.SendAsync(http1);
        Assert.Equal(HttpVersion.Version11, answer.Version);
        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);

        using var channel = ControlChannel.For(mesh.Host.Info.ControlUrl);
        var status = await new V1.Control.ControlClient(channel).GetStatusAsync(new V1.GetStatusRequest(), new Metadata { { "authorization", $"Bearer {mesh.Host.Info.Token}" } });
        Assert.Equal(mesh.Manifest.XdsPort, status.XdsPort);
    }
}
