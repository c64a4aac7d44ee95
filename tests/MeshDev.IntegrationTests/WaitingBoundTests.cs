using System.Net;
using MeshDev.Activation;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests;

/// <summary><c>maxWaitingRequests</c>: past the bound a request to a starting service gets 503 at once, saying why.</summary>
public sealed class WaitingBoundTests
{
    [Fact]
    public async Task Past_max_waiting_requests_a_request_gets_503_at_once_and_the_held_ones_are_served_once_ready()
    {
        // A real python3 http.server that only starts once the test creates the file 'go': the launch lasts exactly as
        // long as the test needs, with no timing involved.
        await using var mesh = await TestMesh.StartAsync(m => m.Service(
            "files",
            command: "sh",
            ready: "{ tcp: true }",
            extra:
            [
                """args: [-c, 'while [ ! -e go ]; do sleep 0.05; done; exec python3 -m http.server "$PORT" --bind 127.0.0.1']""",
                "maxWaitingRequests: 2",
            ]));
        var files = mesh.Service("files");

        var held = new[] { mesh.Http.GetAsync(mesh.Url("files")), mesh.Http.GetAsync(mesh.Url("files")) };
        await Eventually.UntilAsync(() => files.Waiting == 2, "two requests waiting for the launch");

        var turnedAway = await Problem.GetAsync(mesh.Http, mesh.Url("files"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, turnedAway.Status);
        Assert.Equal("2 requests already wait for 'files' to start (maxWaitingRequests); retry shortly", turnedAway.Detail);
        Assert.Equal("Too many requests wait for service 'files' to start", turnedAway.Title);
        Assert.Equal(TimeSpan.FromSeconds(1), turnedAway.Response.Headers.RetryAfter?.Delta);
        Assert.Equal(ServiceState.Starting, files.State);
        Assert.All(held, h => Assert.False(h.IsCompleted));

        await File.WriteAllTextAsync(Path.Combine(mesh.Directory, "go"), "");

        foreach (var response in await Task.WhenAll(held))
        {
            using (response)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        Assert.Equal(ServiceState.Ready, files.State);
        Assert.Null(files.LastFailure);
        Assert.Equal(1, files.Launches);
    }
}
