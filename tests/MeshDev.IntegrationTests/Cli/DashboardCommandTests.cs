using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.Cli;

/// <summary><c>meshdev dashboard</c>, the real CLI: the URL on stdout, and a browser only where there is a display.</summary>
public sealed class DashboardCommandTests
{
    [Fact]
    public async Task Without_a_display_it_prints_the_url_and_says_why_no_browser_opened()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("web"));
        await using var cli = new MeshdevCli();
        cli.ExtraEnvironment["DISPLAY"] = "";
        cli.ExtraEnvironment["WAYLAND_DISPLAY"] = "";

        var result = await cli.RunOkAsync("dashboard", "-f", Path.Combine(mesh.Directory, "meshdev.yaml"));

        Assert.Equal($"{mesh.Host.Info.ControlUrl}/dashboard?token={mesh.Host.Info.Token}{Environment.NewLine}", result.Stdout);
        Assert.Contains("no display", result.Stderr);
    }

    [Fact]
    public async Task Without_a_mesh_it_says_so_and_fails()
    {
        await using var cli = new MeshdevCli();
        cli.WriteManifest("services:\n  web:\n    command: /bin/true\n");

        var result = await cli.RunAsync("dashboard", "--no-open");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Contains("no mesh is running", result.Stderr);
    }
}
