using System.Text.Json;
using Docker.DotNet.Models;
using MeshDev.Docker;
using MeshDev.IntegrationTests.Docker;
using MeshDev.IntegrationTests.Infrastructure;
using MeshDev.Runtime;
using MeshDev.Testing.Docker;

namespace MeshDev.IntegrationTests.Cli;

/// <summary>
/// The <c>meshdev</c> CLI with containers: a daemon killed with SIGKILL leaves its containers running; the next <c>up</c>
/// adopts them instead of launching duplicates, and <c>down</c> removes exactly this mesh's containers.
/// </summary>
[Collection("docker")]
public sealed class ContainerCliTests(TestImages images)
{
    private static string Manifest(ManifestBuilder builder, string image, string extraEnv = "") =>
        builder.Container("web", image, env: extraEnv.Length == 0 ? null : new Dictionary<string, string> { ["EXTRA"] = extraEnv }).ToYaml();

    [Fact]
    public async Task Up_after_the_daemon_was_killed_adopts_the_running_container_and_down_removes_only_this_meshs()
    {
        await using var cli = new MeshdevCli();
        var builder = new ManifestBuilder(cli.Tag);
        cli.WriteManifest(Manifest(builder, images.DotnetAot));
        var meshId = MeshIdentity.For(cli.StateDirectory);
        var web = new Uri($"http://127.0.0.1:{builder.MeshPorts["web"]}/");
        using var http = TestMesh.NewHttpClient();
        var foreign = new List<string>();
        try
        {
            await cli.RunOkAsync("up", "--detach");
            var firstBody = await http.GetStringAsync(web);
            var first = await images.Docker.SingleContainerAsync(meshId, "web");

            UnixProcess.SignalProcess(cli.DaemonPid(), UnixProcess.SigKill);
            await Eventually.UntilAsync(() => !UnixProcess.IsAlive(cli.DaemonPid()), "the killed daemon to be gone");
            Assert.True((await images.Docker.SingleContainerAsync(meshId, "web")).State.Running, "the container should outlive the daemon");

            await cli.RunOkAsync("up", "--detach");
            // The take-over may still be probing the container when up returns; a request waits for it.
            var secondBody = await http.GetStringAsync(web);
            var status = MeshdevCli.ServiceIn(await cli.StatusAsync(), "web");

            Assert.Equal("ready", status.GetProperty("state").GetString());
            Assert.Equal(0, status.GetProperty("launches").GetInt32());
            Assert.Equal(firstBody, secondBody);
            var adopted = await images.Docker.SingleContainerAsync(meshId, "web");
            Assert.Equal(first.ID, adopted.ID);

            // Containers of another mesh, and with no mesh at all, share the engine; down must leave them alone.
            foreign.Add(await CreateIdleContainerAsync(new Dictionary<string, string> { [ContainerLabels.Mesh] = "0123456789ab", [ContainerLabels.Service] = "web" }));
            foreign.Add(await CreateIdleContainerAsync(new Dictionary<string, string> { [TestContainer.Label] = "1" }));
            UnixProcess.SignalProcess(cli.DaemonPid(), UnixProcess.SigKill);
            await Eventually.UntilAsync(() => !UnixProcess.IsAlive(cli.DaemonPid()), "the killed daemon to be gone");

            var down = await cli.RunOkAsync("down");

            Assert.Contains("removed 1 leftover container" + Environment.NewLine, down.Stdout);
            Assert.Empty(await images.Docker.ContainersOfAsync(meshId));
            foreach (var id in foreign)
            {
                Assert.True((await images.Docker.Containers.InspectContainerAsync(id)).State.Running, $"container {id[..12]} of someone else was touched");
            }
        }
        finally
        {
            foreach (var id in foreign)
            {
                await images.Docker.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true });
            }
        }
    }

    [Fact]
    public async Task A_container_left_with_other_settings_is_replaced_not_adopted()
    {
        await using var cli = new MeshdevCli();
        var builder = new ManifestBuilder(cli.Tag);
        cli.WriteManifest(Manifest(builder, images.DotnetAot, extraEnv: "first"));
        var meshId = MeshIdentity.For(cli.StateDirectory);
        var web = new Uri($"http://127.0.0.1:{builder.MeshPorts["web"]}/env/EXTRA");
        using var http = TestMesh.NewHttpClient();

        await cli.RunOkAsync("up", "--detach");
        Assert.Equal("first", await http.GetStringAsync(web));
        var first = await images.Docker.SingleContainerAsync(meshId, "web");
        UnixProcess.SignalProcess(cli.DaemonPid(), UnixProcess.SigKill);
        await Eventually.UntilAsync(() => !UnixProcess.IsAlive(cli.DaemonPid()), "the killed daemon to be gone");

        // The developer edits the manifest while the mesh is down: the running container no longer matches it.
        var edited = File.ReadAllText(Path.Combine(cli.Directory, "meshdev.yaml")).Replace("EXTRA: \"first\"", "EXTRA: \"second\"", StringComparison.Ordinal);
        cli.WriteManifest(edited);
        await cli.RunOkAsync("up", "--detach");
        Assert.Empty(await images.Docker.ContainersOfAsync(meshId));

        Assert.Equal("second", await http.GetStringAsync(web));
        var second = await images.Docker.SingleContainerAsync(meshId, "web");
        Assert.NotEqual(first.ID, second.ID);

        await cli.RunOkAsync("down");
        Assert.Empty(await images.Docker.ContainersOfAsync(meshId));
    }

    [Fact]
    public async Task Up_after_the_daemon_was_killed_mid_start_listens_at_once_and_takes_over_the_starting_container()
    {
        await using var cli = new MeshdevCli();
        var builder = new ManifestBuilder(cli.Tag);
        // Never ready: sleep listens nowhere, and the start timeout outlasts the test.
        cli.WriteManifest(builder.Container("web", images.Busybox, args: ["sleep", "3600"], extra: ["startTimeout: 10m"]).ToYaml());
        var meshId = MeshIdentity.For(cli.StateDirectory);
        using var http = TestMesh.NewHttpClient();
        await cli.RunOkAsync("up", "--detach");
        using (var held = new CancellationTokenSource())
        {
            var call = http.GetAsync(new Uri($"http://127.0.0.1:{builder.MeshPorts["web"]}/"), held.Token);
            using var deadline = new CancellationTokenSource(Eventually.Deadline);
            while (!(await images.Docker.ContainersOfAsync(meshId, "web")).Any(c => c.State == "running"))
            {
                await Task.Delay(50, deadline.Token);
            }

            UnixProcess.SignalProcess(cli.DaemonPid(), UnixProcess.SigKill);
            await Eventually.UntilAsync(() => !UnixProcess.IsAlive(cli.DaemonPid()), "the killed daemon to be gone");
            await held.CancelAsync();
            await Assert.ThrowsAnyAsync<Exception>(() => call);
        }

        await cli.RunOkAsync("up", "--detach");
        var status = MeshdevCli.ServiceIn(await cli.StatusAsync(), "web");

        Assert.Equal("starting", status.GetProperty("state").GetString());
        Assert.Equal("adopted", status.GetProperty("reason").GetProperty("kind").GetString());
        Assert.Single(await images.Docker.ContainersOfAsync(meshId, "web"));
        await cli.RunOkAsync("down");
        Assert.Empty(await images.Docker.ContainersOfAsync(meshId));
    }

    private async Task<string> CreateIdleContainerAsync(Dictionary<string, string> labels)
    {
        var created = await images.Docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = images.Busybox,
            Entrypoint = ["/bin/sleep"],
            Cmd = ["100000"],
            Labels = labels,
            HostConfig = new HostConfig { NetworkMode = "host" },
        });
        await images.Docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters());
        return created.ID;
    }
}
