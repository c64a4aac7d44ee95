using MeshDev.IntegrationTests.Infrastructure;
using MeshDev.Testing.Docker;

namespace MeshDev.IntegrationTests.Cli;

/// <summary>
/// <c>meshdev doctor</c> against the real engine (here started with --bridge=none): what the manifest's containers need
/// from it is checked, each with the precise fix.
/// </summary>
[Collection("docker")]
public sealed class CliDoctorEngineTests(TestImages images)
{
    [Fact]
    public async Task A_bridge_service_and_a_missing_local_image_fail_with_their_fixes()
    {
        await using var cli = NewCli();
        var missing = $"meshdev-test/not-built-{cli.Tag}:1";
        cli.WriteManifest(new ManifestBuilder(cli.Tag)
            .Container("web", images.Busybox, extra: ["network: bridge", "port: 80", "pull: never"])
            .Container("api", missing, extra: ["pull: never"])
            .ToYaml());

        var result = await cli.RunAsync("doctor");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(
            "FAIL  bridge network: web has network: bridge but the engine has no bridge network (it runs with --bridge=none); " +
            "set 'network: host' on them (the mesh reaches them on 127.0.0.1), or start dockerd without --bridge=none",
            result.Stdout);
        Assert.Contains(
            $"FAIL  local images: {missing} of api is missing; build it: docker build -t {missing} <folder of its Dockerfile> " +
            "(docker compose build for a service imported from compose)",
            result.Stdout);
        Assert.DoesNotContain(images.Busybox + " of web", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_network_services_whose_local_images_exist_pass()
    {
        await using var cli = NewCli();
        cli.WriteManifest(new ManifestBuilder(cli.Tag).Container("web", images.Busybox, extra: ["pull: never"]).ToYaml());

        var result = await cli.RunOkAsync("doctor");

        Assert.Contains("ok    bridge network: not needed: no service has network: bridge", result.Stdout);
        Assert.Contains($"ok    local images: {images.Busybox} present (1 image with pull: never)", result.Stdout);
        Assert.DoesNotContain("images to pull", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_absent_image_the_first_call_would_pull_is_a_warning_naming_it()
    {
        await using var cli = NewCli();
        var absent = $"meshdev-test/not-pulled-{cli.Tag}:1";
        cli.WriteManifest(new ManifestBuilder(cli.Tag)
            .Container("api", absent)
            .Container("web", images.Busybox, extra: ["pull: always"])
            .ToYaml());

        // A warning only: the launch may well pull it.
        var result = await cli.RunOkAsync("doctor");

        Assert.Contains(
            $"warn  images to pull: {absent} of api is not on this machine: the first call to api pulls it and waits for the download " +
            "(docker pull now to wait here instead); for an image built on this machine, set 'pull: never' and build it with " +
            "docker build -t IMAGE <folder of its Dockerfile>\n",
            result.Stdout);
        Assert.DoesNotContain(images.Busybox, result.Stdout, StringComparison.Ordinal);
        // doctor only looks: it pulled nothing.
        Assert.False(await MeshDev.Docker.EngineChecks.HasImageAsync(images.Docker, absent, CancellationToken.None));
    }

    private static MeshdevCli NewCli()
    {
        var cli = new MeshdevCli();
        cli.ExtraEnvironment["KUBECONFIG"] = Path.Combine(cli.Directory, "no-kubeconfig");
        return cli;
    }
}
