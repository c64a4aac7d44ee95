using System.Net;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.Readiness;

/// <summary>
/// <c>ready: { notify: true }</c>: nothing is probed; the service's <c>READY=1</c> on <c>NOTIFY_SOCKET</c> makes it ready,
/// its <c>STATUS=</c> lines go to its log, and an exit before <c>READY=1</c> is a launch failure that says so.
/// </summary>
public sealed class NotifyReadinessTests
{
    [Fact]
    public async Task Calls_are_forwarded_only_after_READY_1_and_STATUS_goes_to_the_log()
    {
        // The service listens at once but says READY=1 only 300 ms later: a probe would have passed before that.
        await using var mesh = await TestMesh.StartAsync(m => SocketActivationTests.PythonService(m, "py", "{ notify: true }", "notify", 0.3));

        var body = await mesh.GetStringAsync("py");

        Assert.StartsWith("notify pid=", body, StringComparison.Ordinal);
        Assert.Contains("ready_sent=yes", body, StringComparison.Ordinal);
        Assert.Contains("meshdev: status: warming up", mesh.Service("py").Log.Tail());
    }

    [Fact]
    public async Task A_service_that_exits_before_READY_1_gets_503_naming_the_exit_and_the_missing_READY()
    {
        await using var mesh = await TestMesh.StartAsync(m => SocketActivationTests.PythonService(m, "py", "{ notify: true }", "silent"));

        var problem = await Problem.GetAsync(mesh.Http, mesh.Url("py"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
        Assert.Contains("exited with code 3 before it was ready (it never sent READY=1 to NOTIFY_SOCKET)", problem.Detail, StringComparison.Ordinal);
        Assert.Contains(problem.Logs, line => line.Contains("giving up before READY=1", StringComparison.Ordinal));
    }
}
