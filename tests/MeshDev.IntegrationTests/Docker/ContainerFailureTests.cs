using System.Globalization;
using System.Net;
using Docker.DotNet.Models;
using MeshDev.Activation;
using MeshDev.Docker;
using MeshDev.IntegrationTests.Infrastructure;
using MeshDev.Runtime;
using MeshDev.Testing;
using MeshDev.Testing.Docker;

namespace MeshDev.IntegrationTests.Docker;

/// <summary>Container launches that cannot work answer every waiting caller at once, naming the image and the engine's words.</summary>
[Collection("docker")]
public sealed class ContainerFailureTests(TestImages images)
{
    [Fact]
    public async Task Missing_image_with_pull_never_fails_at_once_naming_the_image_and_others_still_work()
    {
        await using var mesh = await TestMesh.StartAsync(m => m
            .Container("ghost", "meshdev-test/does-not-exist:1", extra: ["pull: never"])
            .Service("orders"));

        var problems = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Problem.GetAsync(mesh.Http, mesh.Url("ghost"))));

        Assert.All(problems, p =>
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, p.Status);
            Assert.Contains(
                "image 'meshdev-test/does-not-exist:1' is not on this machine and 'pull' is never; build it: " +
                "docker build -t meshdev-test/does-not-exist:1 <folder of its Dockerfile> (docker compose build for a service imported from compose)",
                p.Detail);
            Assert.DoesNotContain("docker pull", p.Detail, StringComparison.Ordinal);
        });
        Assert.Equal(ServiceState.Failed, mesh.Service("ghost").State);
        Assert.Equal("hello from orders", await mesh.GetStringAsync("orders"));
        Assert.Empty(await images.Docker.ContainersOfAsync(mesh.MeshId));
    }

    [Fact]
    public async Task Image_the_registry_does_not_know_fails_every_caller_with_the_engines_message()
    {
        // A stand-in for a registry (none is reachable from this machine), speaking the real Registry HTTP API v2.
        await using var registry = await TestRegistry.StartAsync(images.Docker, images.Busybox);
        await using var mesh = await TestMesh.StartAsync(m => m.Container("ghost", registry.UnknownReference));

        var problems = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Problem.GetAsync(mesh.Http, mesh.Url("ghost"))));

        Assert.All(problems, p =>
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, p.Status);
            Assert.StartsWith($"pulling image '{registry.UnknownReference}' failed: ", p.Detail);
            Assert.Contains("unknown", p.Detail, StringComparison.OrdinalIgnoreCase);
        });
        Assert.Single(mesh.Changes("ghost"), c => c.To == ServiceState.Failed);
        Assert.Empty(await images.Docker.ContainersOfAsync(mesh.MeshId));
    }

    [Fact]
    public async Task Image_no_registry_answers_for_says_to_check_the_name_or_build_it_here()
    {
        // A registry address on loopback where nothing listens: the engine's pull fails as it does without a network.
        var image = $"127.0.0.1:{TestPorts.Free().ToString(CultureInfo.InvariantCulture)}/meshdev-test/not-built:1";
        await using var mesh = await TestMesh.StartAsync(m => m.Container("ghost", image));

        var problem = await Problem.GetAsync(mesh.Http, mesh.Url("ghost"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
        Assert.StartsWith($"pulling image '{image}' failed: ", problem.Detail);
        Assert.EndsWith(
            "; check the image name and that its registry is reachable, or set 'pull: never' for an image built on this machine " +
            $"and build it: docker build -t {image} <folder of its Dockerfile> (docker compose build for a service imported from compose)",
            problem.Detail);
        Assert.Empty(await images.Docker.ContainersOfAsync(mesh.MeshId));
    }

    [Fact]
    public async Task A_command_the_image_does_not_have_fails_at_once_with_the_engines_words_and_leaves_no_container()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Container("web", images.Busybox, command: "/does/not/exist"));

        var problem = await Problem.GetAsync(mesh.Http, mesh.Url("web"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
        Assert.StartsWith($"the engine could not start the container of image '{images.Busybox}': ", problem.Detail);
        Assert.Contains("/does/not/exist", problem.Detail);
        Assert.Empty(await images.Docker.ContainersOfAsync(mesh.MeshId));
    }

    [Fact]
    public async Task A_container_never_ready_is_killed_at_its_start_timeout_without_waiting_its_stop_grace_period()
    {
        // sleep as the container's first process ignores SIGTERM (pid 1 has no default action): a stop would wait the
        // whole grace period before the engine kills it, and the callers with it.
        var started = DateTimeOffset.UtcNow;
        await using var mesh = await TestMesh.StartAsync(m => m.Container(
            "mute", images.Busybox, args: ["sleep", "3600"], extra: ["startTimeout: 1s", "stopGracePeriod: 10m"]));

        var problem = await Problem.GetAsync(mesh.Http, mesh.Url("mute"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
        Assert.StartsWith("not ready after 1 s", problem.Detail);
        var container = await images.Docker.SingleContainerAsync(mesh.MeshId, "mute");
        Assert.False(container.State.Running);
        Assert.Equal(["9"], await images.Docker.SignalsSentAsync(container.ID, started));
    }

    [Fact]
    public async Task A_readiness_command_the_image_does_not_have_fails_at_once_naming_it()
    {
        await using var mesh = await TestMesh.StartAsync(m => m
            .Container("db", images.Busybox, ready: "{ exec: [pg_isready, -U, postgres] }", extra: ["startTimeout: 10m"])
            .Container("script", images.Busybox, ready: "{ exec: [sh, -c, pg_isready] }", extra: ["startTimeout: 10m"]));

        var db = Problem.GetAsync(mesh.Http, mesh.Url("db"));
        var script = Problem.GetAsync(mesh.Http, mesh.Url("script"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await db).Status);
        Assert.Matches(
            "^the readiness command 'pg_isready -U postgres' cannot run in the container \\(exit code 126: .*pg_isready.*\\); " +
            "name a command the image has in 'ready: \\{ exec: \\[\\.\\.\\.\\] \\}', or another probe such as 'ready: \\{ tcp: true \\}'$",
            (await db).Detail);
        Assert.StartsWith("the readiness command 'sh -c pg_isready' cannot run in the container (exit code 127: sh: pg_isready: not found); ", (await script).Detail);
        Assert.False((await images.Docker.SingleContainerAsync(mesh.MeshId, "db")).State.Running);
    }

    [Fact]
    public async Task No_engine_is_one_sentence_saying_what_to_do_and_processes_keep_working()
    {
        var socket = Path.Combine(Path.GetTempPath(), $"meshdev-no-engine-{Guid.NewGuid():N}.sock");
        await using var mesh = await TestMesh.StartAsync(
            m => m.Container("web", images.DotnetAot).Service("orders"),
            runtimes: directory => [new ProcessRuntime(Path.Combine(directory, ".meshdev")), new DockerRuntime("no-engine", "meshdev.yaml", new MeshDev.Docker.DockerEngine($"unix://{socket}"))]);

        var problem = await Problem.GetAsync(mesh.Http, mesh.Url("web"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
        Assert.Contains($"the Docker engine is not reachable at unix://{socket}", problem.Detail);
        Assert.Contains($"{socket} does not exist: start the engine (sudo systemctl start docker, or dockerd) or set DOCKER_HOST to where it listens", problem.Detail);
        Assert.Equal("hello from orders", await mesh.GetStringAsync("orders"));
    }

    [Fact]
    public async Task An_engine_gone_since_the_first_launch_is_the_same_sentence_saying_what_to_do()
    {
        var relay = EngineRelay.Start();
        var meshId = Guid.NewGuid().ToString("N")[..12];
        try
        {
            await using var mesh = await TestMesh.StartAsync(
                m => m.Container("web", images.DotnetAot),
                runtimes: directory => [new ProcessRuntime(Path.Combine(directory, ".meshdev")), new DockerRuntime(meshId, "meshdev.yaml", new MeshDev.Docker.DockerEngine(relay.Endpoint))]);
            try
            {
                Assert.StartsWith("web: hello from pid", await mesh.GetStringAsync("web"));

                await relay.DisposeAsync();
                await mesh.WaitForStateAsync("web", ServiceState.Stopped);
                var problem = await Problem.GetAsync(mesh.Http, mesh.Url("web"));

                Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
                Assert.Equal(
                    $"the Docker engine is not reachable at {relay.Endpoint} (no such socket); {relay.Path} does not exist: " +
                    "start the engine (sudo systemctl start docker, or dockerd) or set DOCKER_HOST to where it listens",
                    problem.Detail);
            }
            finally
            {
                // Before the mesh stops: it cannot reach the engine to remove its container itself.
                foreach (var container in await images.Docker.ContainersOfAsync(meshId))
                {
                    await images.Docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true });
                }
            }
        }
        finally
        {
            await relay.DisposeAsync();
        }
    }

    [Fact]
    public async Task Bridge_network_publishes_on_loopback_or_says_at_once_that_the_engine_has_none()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Container(
            "web", images.DotnetAot, extra: ["network: bridge", "port: 8080", "startTimeout: 20s"]));
        var engineHasBridge = (await images.Docker.Networks.ListNetworksAsync(new NetworksListParameters())).Any(n => n.Name == "bridge");

        if (engineHasBridge)
        {
            // The service listens on 127.0.0.1 inside its own network namespace, which a published port does not reach;
            // what matters here is the mesh's side: the port is published on the host's loopback only.
            using var response = await mesh.Http.GetAsync(mesh.Url("web"));
            var container = await images.Docker.SingleContainerAsync(mesh.MeshId, "web");
            Assert.Equal("127.0.0.1", container.HostConfig.PortBindings["8080/tcp"].Single().HostIP);
        }
        else
        {
            var problem = await Problem.GetAsync(mesh.Http, mesh.Url("web"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
            Assert.Equal("the Docker engine has no bridge network (it runs with --bridge=none), so a port cannot be published; use 'network: host'", problem.Detail);
            Assert.Empty(await images.Docker.ContainersOfAsync(mesh.MeshId));
        }
    }
}
