using System.Net;
using MeshDev.Runtime;
using MeshDev.Testing.Docker;
using MeshDev.Testing;

namespace MeshDev.Docker.Tests.Images;

/// <summary>Each test image does what Docker tests rely on, in a real container on the real engine.</summary>
[Collection("docker")]
public sealed class TestImagesTests(TestImages images)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Busybox_image_runs_httpd_on_the_host_network()
    {
        var port = TestPorts.Free();
        await using var container = await TestContainer.StartAsync(
            images.Docker, images.Busybox, ["httpd", "-f", "-v", "-p", $"127.0.0.1:{port}", "-h", "/www"]);

        using var response = await container.GetWhenListeningAsync(Http, $"http://127.0.0.1:{port}/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(images.BusyboxIndexHtml, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Busybox_image_default_command_serves_www_on_PORT()
    {
        var port = TestPorts.Free();
        await using var container = await TestContainer.StartAsync(
            images.Docker, images.Busybox, environment: new Dictionary<string, string> { ["PORT"] = $"{port}" });

        using var response = await container.GetWhenListeningAsync(Http, $"http://127.0.0.1:{port}/");

        Assert.Equal(images.BusyboxIndexHtml, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Busybox_health_image_becomes_healthy_once_httpd_answers()
    {
        var port = TestPorts.Free();
        await using var container = await TestContainer.StartAsync(
            images.Docker, images.BusyboxHealth, environment: new Dictionary<string, string> { ["PORT"] = $"{port}", ["START_DELAY_S"] = "3" });

        // httpd waits three seconds before it listens: until then the engine says "starting".
        var first = await container.InspectAsync();
        Assert.Equal("starting", first.State.Health.Status);

        // The engine's own health timer (every 1 s) decides when the status changes: there is no event to await.
        var status = first.State.Health.Status;
        using var limit = new CancellationTokenSource(TestContainer.Deadline);
        while (status == "starting")
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), limit.Token);
            status = (await container.InspectAsync(limit.Token)).State.Health.Status;
        }

        Assert.Equal("healthy", status);
        using var response = await Http.GetAsync($"http://127.0.0.1:{port}/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Dotnet_aot_image_answers_hello_and_environment_lookups()
    {
        var port = TestPorts.Free();
        await using var container = await TestContainer.StartAsync(
            images.Docker,
            images.DotnetAot,
            environment: new Dictionary<string, string> { ["PORT"] = $"{port}", ["MESHDEV_SERVICE"] = "orders", ["GREETING"] = "hi there" });

        using var hello = await container.GetWhenListeningAsync(Http, $"http://127.0.0.1:{port}/");
        var env = await Http.GetStringAsync($"http://127.0.0.1:{port}/env/GREETING");
        using var missing = await Http.GetAsync($"http://127.0.0.1:{port}/env/NOT_SET_ANYWHERE");

        // PID 1: the binary is the container's only process (no shell, no init in a FROM-scratch image).
        Assert.Equal("orders: hello from pid 1", await hello.Content.ReadAsStringAsync());
        Assert.Equal("hi there", env);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var stdout = await container.WaitForStdoutAsync("GET /env/GREETING");
        Assert.Contains($"container-service listening on 127.0.0.1:{port}", stdout);
        Assert.Contains("GET /env/GREETING", stdout);
    }

    [Fact]
    public async Task Dotnet_aot_image_with_EXIT_AT_ONCE_exits_with_code_3_and_says_why_on_stderr()
    {
        await using var container = await TestContainer.StartAsync(
            images.Docker, images.DotnetAot, environment: new Dictionary<string, string> { ["EXIT_AT_ONCE"] = "1" });

        var exitCode = await container.WaitForExitAsync();

        Assert.Equal(3, exitCode);
        var (_, stderr) = await container.LogsAsync();
        Assert.Contains("container-service: exiting at once as asked", stderr);
    }

    [Fact]
    public async Task Dotnet_aot_image_calls_another_service_through_call()
    {
        var (callerPort, calleePort) = (TestPorts.Free(), TestPorts.Free());
        await using var callee = await TestContainer.StartAsync(
            images.Docker, images.DotnetAot, environment: new Dictionary<string, string> { ["PORT"] = $"{calleePort}", ["MESHDEV_SERVICE"] = "inventory" });
        await using var caller = await TestContainer.StartAsync(
            images.Docker, images.DotnetAot, environment: new Dictionary<string, string> { ["PORT"] = $"{callerPort}", ["MESHDEV_SERVICE"] = "orders" });
        (await callee.GetWhenListeningAsync(Http, $"http://127.0.0.1:{calleePort}/healthz")).Dispose();

        using var response = await caller.GetWhenListeningAsync(
            Http, $"http://127.0.0.1:{callerPort}/call?url={Uri.EscapeDataString($"http://127.0.0.1:{calleePort}/")}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("orders -> inventory: hello from pid 1", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Dotnet_aot_image_stops_gracefully_on_SIGTERM()
    {
        var port = TestPorts.Free();
        await using var container = await TestContainer.StartAsync(
            images.Docker, images.DotnetAot, environment: new Dictionary<string, string> { ["PORT"] = $"{port}" });
        (await container.GetWhenListeningAsync(Http, $"http://127.0.0.1:{port}/healthz")).Dispose();

        // As PID 1 a process gets no default SIGTERM action: exit code 0 (not 137, SIGKILL) shows the service handles it.
        await images.Docker.Containers.StopContainerAsync(container.Id, new() { WaitBeforeKillSeconds = 60 });

        var state = (await container.InspectAsync()).State;
        Assert.False(state.Running);
        Assert.Equal(0, state.ExitCode);
    }
}
