using Docker.DotNet;
using Docker.DotNet.Models;
using MeshDev.Activation;
using MeshDev.Docker;
using MeshDev.IntegrationTests.Infrastructure;
using MeshDev.Runtime;
using MeshDev.Testing.Docker;

namespace MeshDev.IntegrationTests.Docker;

/// <summary>Pulling a missing image (once, with progress) and what idle containers become.</summary>
[Collection("docker")]
public sealed class ContainerPullAndIdleTests(TestImages images)
{
    [Fact]
    public async Task Missing_image_is_pulled_once_for_every_caller_with_progress_in_the_log()
    {
        // A stand-in for a registry (none is reachable from this machine), speaking the real Registry HTTP API v2 to the
        // real engine; its blobs trickle so that the pull lasts long enough for progress lines.
        await using var registry = await TestRegistry.StartAsync(images.Docker, images.Busybox);
        registry.BlobChunkDelay = TimeSpan.FromMilliseconds(40);
        await RemoveImageAsync(registry.Reference);
        try
        {
            string[] httpd = ["/bin/httpd", "-f", "-p", "127.0.0.1:${PORT}", "-h", "/www"];
            DockerRuntime? docker = null;
            await using var mesh = await TestMesh.StartAsync(
                m => m
                    .Container("one", registry.Reference, command: httpd[0], args: httpd[1..])
                    .Container("two", registry.Reference, command: httpd[0], args: httpd[1..]),
                runtimes: directory => [docker = new DockerRuntime(MeshIdentity.For(Path.Combine(directory, ".meshdev")), Path.Combine(directory, "meshdev.yaml"))]);

            var bodies = await Task.WhenAll(
                Enumerable.Range(0, 10).Select(i => mesh.GetStringAsync(i % 2 == 0 ? "one" : "two")));

            Assert.All(bodies, b => Assert.Equal(images.BusyboxIndexHtml, b));
            var output = mesh.Output().Split(Environment.NewLine);
            // One pull for both services: one of them started it; the other joined it or found the image already there.
            Assert.Equal(1, docker!.PullCount);
            Assert.Contains(output, l => l.Contains($"meshdev: pulling {registry.Reference} (engine", StringComparison.Ordinal));
            Assert.Contains(output, l => l.Contains($"meshdev: pulling {registry.Reference}: ", StringComparison.Ordinal) && l.Contains("layers done", StringComparison.Ordinal));
            Assert.Contains(output, l => l.Contains($"meshdev: pulled {registry.Reference} in ", StringComparison.Ordinal));
        }
        finally
        {
            await RemoveImageAsync(registry.Reference);
        }
    }

    [Fact]
    public async Task Idle_container_is_stopped_and_kept_then_the_next_request_starts_the_same_one()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Container("web", images.DotnetAot, extra: ["idleTimeout: 300ms"]));
        await mesh.GetStringAsync("web");
        var first = await images.Docker.SingleContainerAsync(mesh.MeshId, "web");

        await mesh.WaitForChangeAsync("web", c => c.To == ServiceState.Stopped, "an idle stop");
        var stopped = await images.Docker.SingleContainerAsync(mesh.MeshId, "web");
        Assert.Equal(first.ID, stopped.ID);
        Assert.False(stopped.State.Running);

        var body = await mesh.GetStringAsync("web");

        Assert.StartsWith("web: hello from pid", body);
        var restarted = await images.Docker.SingleContainerAsync(mesh.MeshId, "web");
        Assert.Equal(first.ID, restarted.ID);
        // Started again, and ready before it answered; whether it still runs when the engine is asked is a race with the
        // next 300 ms idle stop, so that is not asked.
        Assert.Equal(2, mesh.Changes("web").Count(c => c.To == ServiceState.Ready));
        Assert.Contains($"meshdev: starting container {first.ID[..12]} again", mesh.Output());
    }

    [Fact]
    public async Task A_kept_container_started_again_is_named_by_the_manifests_image_not_by_another_tag_of_it()
    {
        // Another name of the same build that sorts first among its tags, as compose's "{project}-{service}" often does.
        var alias = $"a-meshdev-alias-{Guid.NewGuid():N}";
        await images.Docker.Images.TagImageAsync(images.Busybox, new ImageTagParameters { RepositoryName = alias, Tag = "latest" });
        try
        {
            await using var mesh = await TestMesh.StartAsync(m => m.Container("web", images.Busybox, extra: ["idleTimeout: 300ms", "stopGracePeriod: 1s"]));
            await mesh.GetStringAsync("web");
            var first = await images.Docker.SingleContainerAsync(mesh.MeshId, "web");
            await mesh.WaitForChangeAsync("web", c => c.To == ServiceState.Stopped, "an idle stop");

            await mesh.GetStringAsync("web");

            Assert.Contains($"meshdev: starting container {first.ID[..12]} again ({images.Busybox})", mesh.Output());
        }
        finally
        {
            await images.Docker.Images.DeleteImageAsync($"{alias}:latest", new ImageDeleteParameters());
        }
    }

    [Fact]
    public async Task Idle_container_with_onIdle_remove_is_removed()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Container("web", images.DotnetAot, extra: ["idleTimeout: 300ms", "onIdle: remove"]));
        await mesh.GetStringAsync("web");
        // Named by the mesh's own line: asking the engine now races the 300 ms idle stop, which may have removed it already.
        var created = CreatedContainer(mesh.Output());

        await mesh.WaitForChangeAsync("web", c => c.To == ServiceState.Stopped, "an idle stop");

        Assert.Empty(await images.Docker.ContainersOfAsync(mesh.MeshId, "web"));
        await Assert.ThrowsAsync<DockerContainerNotFoundException>(() => images.Docker.Containers.InspectContainerAsync(created));
    }

    /// <summary>The short id in the one "meshdev: created container {id} from …" line of the output.</summary>
    private static string CreatedContainer(string output)
    {
        const string Marker = "meshdev: created container ";
        var line = Assert.Single(output.Split(Environment.NewLine), l => l.Contains(Marker, StringComparison.Ordinal));
        return line[(line.IndexOf(Marker, StringComparison.Ordinal) + Marker.Length)..].Split(' ')[0];
    }

    private async Task RemoveImageAsync(string reference)
    {
        try
        {
            await images.Docker.Images.DeleteImageAsync(reference, new ImageDeleteParameters { Force = true });
        }
        catch (global::Docker.DotNet.DockerImageNotFoundException)
        {
        }
    }
}
