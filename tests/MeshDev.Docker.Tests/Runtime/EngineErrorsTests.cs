using System.Net;
using Docker.DotNet;

namespace MeshDev.Docker.Tests.Runtime;

public sealed class EngineErrorsTests
{
    [Theory]
    [InlineData("""{"message":"No such image: ghost:1"}""", "No such image: ghost:1")]
    [InlineData("""{"message":"pull access denied for ghost\n"}""", "pull access denied for ghost")]
    [InlineData("plain text from a proxy", "plain text from a proxy")]
    [InlineData("", "the engine answered 404 NotFound")]
    public void The_engines_own_message_is_what_callers_read(string body, string expected)
    {
        var error = new DockerApiException(HttpStatusCode.NotFound, body);

        Assert.Equal(expected, EngineErrors.Describe(error));
    }
}
