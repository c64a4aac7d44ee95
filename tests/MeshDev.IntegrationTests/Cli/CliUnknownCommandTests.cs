using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.Cli;

/// <summary>A mistyped verb gets one sentence on stderr, exit 2: the nearest verb when one is close, else the list of verbs.</summary>
public sealed class CliUnknownCommandTests
{
    [Fact]
    public async Task A_verb_near_a_real_one_gets_one_sentence_naming_it()
    {
        await using var cli = new MeshdevCli();

        var result = await cli.RunAsync("stauts");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal("meshdev: unknown command 'stauts'; did you mean 'status'?", result.Stderr.Trim());
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task A_verb_near_none_gets_one_sentence_listing_the_verbs_and_no_required_command_error()
    {
        await using var cli = new MeshdevCli();

        var result = await cli.RunAsync("lauch");

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("meshdev: unknown command 'lauch'; use one of up, down, status, routes, validate,", line);
        Assert.DoesNotContain("Required command", result.Stderr + result.Stdout);
    }
}
