using MeshDev.IntegrationTests.GrpcTests.Infrastructure;
using MeshDev.Testing.Docker;

namespace MeshDev.IntegrationTests.Cli;

/// <summary>The README's first command runs <c>./meshdev</c>: it builds the CLI from the checkout when needed, then runs it.</summary>
public sealed class CheckoutScriptTests
{
    [Fact]
    public async Task The_script_builds_the_cli_when_it_is_missing_or_older_than_its_sources_and_then_runs_it()
    {
        var (exitCode, stdout, stderr) = await RunScriptAsync("--version");
        Assert.True(exitCode == 0, $"./meshdev --version exited {exitCode}: {stderr}");
        // The build's output is on stderr: stdout is the command's alone.
        Assert.StartsWith("0.1.0", stdout.Trim(), StringComparison.Ordinal);

        // Now current: the second run starts the CLI without a build.
        (exitCode, stdout, stderr) = await RunScriptAsync("--version");
        Assert.Equal(0, exitCode);
        Assert.StartsWith("0.1.0", stdout.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("building the meshdev CLI", stderr, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunScriptAsync(params string[] args)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        return await ChildProcess.RunSplitAsync(Path.Combine(GrpcTestPaths.RepositoryRoot, "meshdev"), args, GrpcTestPaths.RepositoryRoot, limit.Token);
    }
}
