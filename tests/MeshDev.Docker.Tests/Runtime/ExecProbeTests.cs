using Docker.DotNet.Models;

namespace MeshDev.Docker.Tests.Runtime;

public sealed class ExecProbeTests
{
    public static TheoryData<string[]?, string[]?> Healthchecks => new()
    {
        { ["CMD", "pg_isready", "-U", "postgres"], ["pg_isready", "-U", "postgres"] },
        { ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:$PORT/ || exit 1"], ["/bin/sh", "-c", "wget -q -O /dev/null http://127.0.0.1:$PORT/ || exit 1"] },
        { ["NONE"], null },
        { ["CMD"], null },
        { [], null },
        { null, null },
    };

    [Theory]
    [MemberData(nameof(Healthchecks))]
    public void An_images_HEALTHCHECK_becomes_the_command_the_mesh_runs(string[]? test, string[]? expected)
    {
        var command = ExecProbe.FromHealthcheck(test is null ? null : new HealthConfig { Test = test });

        Assert.Equal(expected, command?.ToArray());
    }

    [Fact]
    public void No_healthcheck_at_all_means_no_command()
    {
        Assert.Null(ExecProbe.FromHealthcheck(null));
    }
}
