using System.Net;
using Docker.DotNet.Models;
using MeshDev.Activation;
using MeshDev.Docker;
using MeshDev.IntegrationTests.Infrastructure;
using MeshDev.Testing.Docker;

namespace MeshDev.IntegrationTests.Docker;

/// <summary>
/// <c>runtime: docker</c> services on the real engine (Debian's docker.io, started by devtools/setup.sh), with images
/// built locally: a NativeAOT .NET service in a FROM-scratch image and a static busybox.
/// </summary>
[Collection("docker")]
public sealed class ContainerLaunchTests(TestImages images)
{
    [Fact]
    public async Task Cold_request_launches_a_labelled_container_with_safe_defaults_and_its_output_in_the_log()
    {
        string meshId;
        await using (var mesh = await TestMesh.StartAsync(m => m.Container("web", images.DotnetAot)))
        {
            meshId = mesh.MeshId;

            var body = await mesh.GetStringAsync("web");

            Assert.StartsWith("web: hello from pid", body);
            var status = mesh.Status("web");
            Assert.Equal("docker", status.Runtime);
            Assert.Equal("ready", status.State);
            Assert.Equal(1, status.Launches);
            var container = await images.Docker.SingleContainerAsync(meshId, "web");
            Assert.Equal(meshId, container.Config.Labels[ContainerLabels.Mesh]);
            Assert.Equal("web", container.Config.Labels[ContainerLabels.Service]);
            Assert.Equal(Environment.UserName, container.Config.Labels[ContainerLabels.Owner]);
            Assert.Equal(Path.Combine(mesh.Directory, "meshdev.yaml"), container.Config.Labels[ContainerLabels.Manifest]);
            Assert.Equal($"/{ContainerLabels.ContainerName(meshId, "web")}", container.Name);
            Assert.False(container.HostConfig.Privileged);
            Assert.Contains("no-new-privileges:true", container.HostConfig.SecurityOpt);
            Assert.DoesNotContain(container.HostConfig.SecurityOpt, o => o.StartsWith("seccomp", StringComparison.Ordinal));
            Assert.Equal("host", container.HostConfig.NetworkMode);
            Assert.Contains($"127.0.0.1:{status.Endpoint!.Split(':')[1]}", mesh.Output());
            // The container's output arrives through the engine's attach stream, independently of the response.
            await Eventually.UntilAsync(
                () => mesh.Output().Contains("web | container-service listening on 127.0.0.1:", StringComparison.Ordinal) && mesh.Output().Contains("web | GET /", StringComparison.Ordinal),
                new Lazy<string>(() => $"the container's own lines in the service's output:{Environment.NewLine}{mesh.Output()}"));
        }

        Assert.Empty(await images.Docker.ContainersOfAsync(meshId));
    }

    [Fact]
    public async Task Concurrent_cold_requests_share_one_container()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Container("web", images.DotnetAot));

        var bodies = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => mesh.GetStringAsync("web")));

        Assert.All(bodies, b => Assert.StartsWith("web: hello from pid", b));
        Assert.Single(await images.Docker.ContainersOfAsync(mesh.MeshId, "web"));
        Assert.Equal(1, mesh.Service("web").Launches);
        Assert.Single(mesh.Changes("web"), c => c.To == ServiceState.Starting);
    }

    [Fact]
    public async Task Killed_container_is_noticed_and_the_next_request_starts_it_again()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Container("web", images.DotnetAot));
        await mesh.GetStringAsync("web");
        var first = await images.Docker.SingleContainerAsync(mesh.MeshId, "web");

        await images.Docker.Containers.KillContainerAsync(first.ID, new ContainerKillParameters());
        await mesh.WaitForStateAsync("web", ServiceState.Stopped);
        var body = await mesh.GetStringAsync("web");

        Assert.StartsWith("web: hello from pid", body);
        Assert.Equal(2, mesh.Service("web").Launches);
        Assert.Contains(mesh.Changes("web"), c => c.To == ServiceState.Stopped && c.Detail.Contains("exited unexpectedly with code 137", StringComparison.Ordinal));
        // Same settings, same image: the stopped container is started again rather than replaced.
        var again = await images.Docker.SingleContainerAsync(mesh.MeshId, "web");
        Assert.Equal(first.ID, again.ID);
        Assert.True(again.State.Running);
    }

    [Fact]
    public async Task Container_that_exits_at_once_gets_503_with_its_exit_code_and_last_lines_and_others_still_work()
    {
        await using var mesh = await TestMesh.StartAsync(m => m
            .Container("broken", images.DotnetAot, env: new Dictionary<string, string> { ["EXIT_AT_ONCE"] = "1" })
            .Service("orders"));

        var problem = await Problem.GetAsync(mesh.Http, mesh.Url("broken"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
        Assert.Contains("exited with code 3 before it was ready", problem.Detail);
        Assert.Contains(problem.Logs, line => line == "container-service: exiting at once as asked");
        Assert.Equal("hello from orders", await mesh.GetStringAsync("orders"));
    }

    [Fact]
    public async Task Exec_readiness_holds_requests_until_the_command_succeeds_inside_the_container()
    {
        // httpd answers at once, /tmp/ready appears a second later: a TCP or HTTP probe would call it ready too early.
        const string Script = "httpd -p 127.0.0.1:$PORT -h /www && sleep 1 && touch /tmp/ready && exec sleep 100000";
        await using var mesh = await TestMesh.StartAsync(m => m.Container(
            "web", images.Busybox, command: "/bin/sh", args: ["-c", Script], ready: "{ exec: [test, -f, /tmp/ready] }"));

        var body = await mesh.GetStringAsync("web");

        Assert.Equal(images.BusyboxIndexHtml, body);
        var container = await images.Docker.SingleContainerAsync(mesh.MeshId, "web");
        Assert.Equal(0, await ExecAsync(container.ID, "test", "-f", "/tmp/ready"));
        Assert.Contains("web | meshdev: ready once 'test -f /tmp/ready' succeeds inside the container (ready: exec)", mesh.Output());
    }

    [Fact]
    public async Task Without_ready_the_images_own_HEALTHCHECK_decides()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Container("web", images.BusyboxHealth));

        var body = await mesh.GetStringAsync("web");

        Assert.Equal(images.BusyboxIndexHtml, body);
        Assert.Contains("succeeds inside the container (the image's HEALTHCHECK)", mesh.Output());
    }

    [Fact]
    public async Task Dependencies_start_first_and_a_container_reaches_another_through_the_mesh()
    {
        await using var mesh = await TestMesh.StartAsync(m => m
            .Container("front", images.DotnetAot, extra: ["dependsOn: [db]"])
            .Container("back", images.DotnetAot)
            .Container("db", images.Busybox, command: "/bin/httpd", args: ["-f", "-p", "127.0.0.1:${PORT}", "-h", "/www"]));

        // The container finds its dependency the way any launched service does: the discovery variables, pointing at the mesh.
        var backUrl = await mesh.GetStringAsync("front", "/env/services__back__http__0");
        var call = await mesh.GetStringAsync("front", $"/call?url={Uri.EscapeDataString(backUrl + "/")}");

        Assert.Equal($"http://127.0.0.1:{mesh.MeshPort("back")}", backUrl);
        Assert.StartsWith("front -> back: hello from pid", call);
        Assert.Equal(ServiceState.Ready, mesh.Service("db").State);
        var dbReady = mesh.Changes("db").First(c => c.To == ServiceState.Ready);
        var frontReady = mesh.Changes().First(c => c.Service == "front" && c.To == ServiceState.Ready);
        var order = mesh.Changes().ToList();
        Assert.True(order.IndexOf(dbReady) < order.IndexOf(frontReady), "db was not ready before front");
    }

    [Fact]
    public async Task Volumes_and_seccomp_settings_reach_the_engine()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Container(
            "files", images.Busybox, command: "/bin/httpd", args: ["-f", "-p", "127.0.0.1:${PORT}", "-h", "/data"],
            extra: ["volumes: [\"./data:/data:ro\"]", "seccomp: unconfined"]));
        var data = Path.Combine(mesh.Directory, "data");
        Directory.CreateDirectory(data);
        File.WriteAllText(Path.Combine(data, "hello.txt"), "from the host\n");

        var body = await mesh.GetStringAsync("files", "/hello.txt");

        Assert.Equal("from the host\n", body);
        var container = await images.Docker.SingleContainerAsync(mesh.MeshId, "files");
        Assert.Equal([$"{data}:/data:ro"], container.HostConfig.Binds);
        Assert.Equal(["no-new-privileges:true", "seccomp=unconfined"], container.HostConfig.SecurityOpt);
    }

    private async Task<long> ExecAsync(string containerId, params string[] command)
    {
        var exec = await images.Docker.Exec.ExecCreateContainerAsync(containerId, new ContainerExecCreateParameters { Cmd = command, AttachStdout = true, AttachStderr = true });
        using (var output = await images.Docker.Exec.StartAndAttachContainerExecAsync(exec.ID, tty: false))
        {
            await output.ReadOutputToEndAsync(CancellationToken.None);
        }

        return (await images.Docker.Exec.InspectContainerExecAsync(exec.ID)).ExitCode;
    }
}
