namespace MeshDev.Docker.Tests.Images;

/// <summary>Without an engine, Docker tests fail with one sentence that says what to do, not with a socket stack trace.</summary>
public sealed class DockerEngineTests
{
    [Fact]
    public async Task Unreachable_engine_fails_with_one_sentence_that_says_to_run_setup()
    {
        var missing = new Uri($"unix://{Path.Combine(Path.GetTempPath(), $"meshdev-no-docker-{Guid.NewGuid():N}.sock")}");

        // Qualified: in this namespace the bare name is the runtime's MeshDev.Docker.DockerEngine, not the tests' helper.
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Testing.Docker.DockerEngine.ConnectAsync(missing));

        Assert.StartsWith($"Docker engine not reachable at {missing} (", error.Message);
        Assert.EndsWith("; run devtools/setup.sh, which installs docker.io and starts dockerd.", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }
}
