using System.Net;
using MeshDev.Activation;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests;

/// <summary>Launches that fail answer 503 problem+json saying why, with the service's own output; nothing is left running.</summary>
public sealed class LaunchFailureTests
{
    [Fact]
    public async Task Service_that_exits_at_once_gets_503_with_exit_code_and_logs_then_backs_off_while_others_still_work()
    {
        var clock = new FreezableClock();
        await using var mesh = await TestMesh.StartAsync(m => m
            .Service("broken", flags: ["--exit-at-once", "3"])
            .Service("orders"), clock);

        // The mesh's wall clock stands still from here on, so the one-second backoff after the failure cannot run out
        // before the second request, however slow this machine is: "still backing off" is a fact, not a race.
        clock.Freeze();

        var problem = await Problem.GetAsync(mesh.Http, mesh.Url("broken"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
        // Reported as the exit it was, not after waiting out the 60 s start timeout.
        Assert.Contains("exited with code 3", problem.Detail);
        Assert.Contains(problem.Logs, line => line.Contains("fatal: config missing"));
        Assert.True(problem.Response.Headers.RetryAfter is not null, "Retry-After header missing");
        Assert.Equal(ServiceState.Failed, mesh.Service("broken").State);
        Assert.Equal(1, mesh.Service("broken").Launches);

        var again = await Problem.GetAsync(mesh.Http, mesh.Url("broken"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, again.Status);
        Assert.Contains("exited with code 3", again.Detail);
        Assert.True(again.Response.Headers.RetryAfter is not null, "Retry-After header missing on the backoff answer");
        Assert.Equal(1, mesh.Service("broken").Launches);

        Assert.Equal("hello from orders", await mesh.GetStringAsync("orders"));
        Assert.Equal(ServiceState.Failed, mesh.Service("broken").State);
        Assert.Equal(1, mesh.Service("broken").Launches);
    }

    [Fact]
    public async Task A_request_held_for_a_launch_gets_503_saying_the_mesh_stopped_when_it_stops_and_nothing_is_left()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("stuck", flags: ["--never-ready"], extra: ["startTimeout: 10m"]));
        using var http = TestMesh.NewHttpClient();
        var held = Problem.GetAsync(http, mesh.Url("stuck"));
        await mesh.WaitForStateAsync("stuck", ServiceState.Starting);

        // What `meshdev down` and Ctrl+C do. Before, the held request waited out the host's shutdown timeout and then
        // saw its connection reset, with nothing saying why.
        await mesh.Host.DisposeAsync();
        var problem = await held;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
        Assert.Equal("urn:meshdev:mesh-stopping", problem.Body.GetProperty("type").GetString());
        Assert.Contains("The mesh stopped (meshdev down or Ctrl+C) while this request waited for service 'stuck' to start (starting)", problem.Detail);
        var leftovers = await TaggedProcesses.WaitUntilNoneAsync(mesh.Tag);
        Assert.True(leftovers.Count == 0, $"still running: {string.Join(", ", leftovers)}");
    }

    [Fact]
    public async Task Service_that_never_gets_ready_gets_503_after_its_start_timeout_and_its_process_is_gone()
    {
        // Long enough that the TestService has started and said "listening on" even on a loaded 2-core machine (a .NET
        // process start there can take seconds), so the log lines asserted below are there when the timeout strikes.
        await using var mesh = await TestMesh.StartAsync(m => m.Service("stuck", flags: ["--never-ready"], extra: ["startTimeout: 10s"]));

        var problem = await Problem.GetAsync(mesh.Http, mesh.Url("stuck"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
        Assert.Contains("not ready after 10 s", problem.Detail);
        Assert.Contains("/healthz", problem.Detail);
        Assert.EndsWith("); raise 'startTimeout' if it is just slow", problem.Detail, StringComparison.Ordinal);
        Assert.Contains(problem.Logs, line => line.StartsWith("listening on", StringComparison.Ordinal));
        Assert.Equal(1, mesh.Service("stuck").Launches);
        var leftovers = await TaggedProcesses.WaitUntilNoneAsync(mesh.Tag);
        Assert.True(leftovers.Count == 0, $"still running: {string.Join(", ", leftovers)}");
    }

    [Fact]
    public async Task Service_that_listens_on_no_port_by_its_start_timeout_is_told_to_listen_on_PORT()
    {
        // Asleep the whole time: not slow, it never listens (a service that ignores PORT and binds nothing yet).
        await using var mesh = await TestMesh.StartAsync(m => m.Service("asleep", flags: ["--start-delay-ms", "600000"], extra: ["startTimeout: 5s"]));

        var problem = await Problem.GetAsync(mesh.Http, mesh.Url("asleep"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
        Assert.StartsWith("not ready after 5 s (probe: ", problem.Detail, StringComparison.Ordinal);
        Assert.EndsWith("; it listens on no port yet: make it listen on ${PORT}, or raise 'startTimeout' if it is just slow", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Command_that_does_not_exist_gets_503_naming_the_command()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("ghost", command: "/nonexistent/bin"));

        var problem = await Problem.GetAsync(mesh.Http, mesh.Url("ghost"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
        Assert.Contains("/nonexistent/bin", problem.Detail);
        Assert.Contains("not found", problem.Detail);
        Assert.Equal(ServiceState.Failed, mesh.Service("ghost").State);
        Assert.Contains("/nonexistent/bin", mesh.Status("ghost").LastError);
    }
}
