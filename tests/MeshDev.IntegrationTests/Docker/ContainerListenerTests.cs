using System.Globalization;
using System.Net;
using MeshDev.Activation;
using MeshDev.IntegrationTests.Infrastructure;
using MeshDev.Runtime;
using MeshDev.Testing.Docker;
using MeshDev.Testing;

namespace MeshDev.IntegrationTests.Docker;

/// <summary>
/// A host-network container that ignores PORT is told so like a process: its processes are this machine's (the engine's
/// State.Pid and its descendants) and its sockets are in this network namespace. Reading another user's descriptors
/// needs the mesh to run as that user or root, as these tests do; otherwise the check says nothing and the start
/// timeout applies as before.
/// </summary>
[Collection("docker")]
public sealed class ContainerListenerTests(TestImages images)
{
    [Fact]
    public async Task A_host_network_container_that_ignores_PORT_gets_503_naming_the_port_it_listens_on()
    {
        var ownPort = TestPorts.Free().ToString(CultureInfo.InvariantCulture);
        await using var mesh = await TestMesh.StartAsync(m => m.Container(
            "web", images.Busybox, command: "/bin/sh", args: ["-c", $"exec httpd -f -p 127.0.0.1:{ownPort} -h /www"], extra: ["startTimeout: 60s"]));

        var problem = await Problem.GetAsync(mesh.Http, mesh.Url("web"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
        Assert.Matches($@"^web listens on 127\.0\.0\.1:{ownPort}, not on PORT=\d+: use \$\{{PORT\}} in args or set port: {ownPort}$", problem.Detail);
        Assert.Equal(ServiceState.Failed, mesh.Service("web").State);
    }

    [Fact]
    public async Task A_container_not_ready_in_time_names_the_probe_it_was_really_given()
    {
        await using var mesh = await TestMesh.StartAsync(m => m
            .Container("plain", images.Busybox, args: ["sleep", "3600"], extra: ["startTimeout: 1s"])
            .Container("checked", images.BusyboxHealth, args: ["sleep", "3600"], extra: ["startTimeout: 1s"])
            .Container("exec", images.Busybox, args: ["sleep", "3600"], ready: "{ exec: [test, -f, /tmp/ready] }", extra: ["startTimeout: 1s"]));

        var plain = Problem.GetAsync(mesh.Http, mesh.Url("plain"));
        var checkedByImage = Problem.GetAsync(mesh.Http, mesh.Url("checked"));
        var exec = Problem.GetAsync(mesh.Http, mesh.Url("exec"));

        Assert.Matches(@"^not ready after 1 s \(probe: tcp on 127\.0\.0\.1:\d+, as the image has no HEALTHCHECK\); raise 'startTimeout' if it is just slow$", (await plain).Detail);
        Assert.Equal("not ready after 1 s (probe: the image's HEALTHCHECK); raise 'startTimeout' if it is just slow", (await checkedByImage).Detail);
        Assert.Equal("not ready after 1 s (probe: exec test -f /tmp/ready, inside the container); raise 'startTimeout' if it is just slow", (await exec).Detail);
    }
}
