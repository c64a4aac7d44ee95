using System.Diagnostics;
using MeshDev.IntegrationTests.GrpcTests.Infrastructure;

namespace MeshDev.IntegrationTests.Cli;

/// <summary>The README's first command runs <c>./meshdev</c>: it builds the CLI from the checkout when needed, then runs it.</summary>
public sealed class CheckoutScriptTests
{
    // Set by `dotnet test`; inherited, they would pin the script's build to this test run's MSBuild.
    private static readonly string[] InheritedMsBuildVariables = ["MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly"];

    [Fact]
    public async Task The_script_builds_the_cli_when_it_is_missing_or_older_than_its_sources_and_then_runs_it()
    {
        var (exitCode, stdout, stderr) = await RunScriptAsync("--version");
        Assert.True(exitCode == 0, $"./meshdev --version exited {exitCode}: {stderr}");
        Assert.StartsWith("0.1.0", stdout.Trim(), StringComparison.Ordinal);

        // Now current: the second run starts the CLI without a build.
        (exitCode, stdout, stderr) = await RunScriptAsync("--version");
        Assert.Equal(0, exitCode);
        Assert.StartsWith("0.1.0", stdout.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("building the meshdev CLI", stderr, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunScriptAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(GrpcTestPaths.RepositoryRoot, "meshdev"))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var variable in InheritedMsBuildVariables)
        {
            start.Environment.Remove(variable);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        return (process.ExitCode, await stdout, await stderr);
    }
}
