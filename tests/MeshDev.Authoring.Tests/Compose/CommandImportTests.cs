using static MeshDev.Authoring.Tests.Compose.ComposeTestImport;

namespace MeshDev.Authoring.Tests.Compose;

/// <summary><c>entrypoint</c> and <c>command</c> (Docker's ENTRYPOINT and CMD) → <c>command</c> and <c>args</c>.</summary>
public sealed class CommandImportTests
{
    private const string Head = "runtime: docker\nimage: app\n";
    private const string Tail = "port: 80\n";

    /// <summary>A service with <paramref name="settings"/> (unindented lines) from line 5 on.</summary>
    private static MeshDev.Authoring.Compose.ComposeImportResult ImportService(string settings) =>
        Import("services:\n  app:\n    image: app\n    ports: [\"80\"]\n" + string.Concat(settings.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => $"    {line}\n")));

    [Theory]
    [InlineData("command: npm run start -- --port 3000\n", "args: [npm, run, start, --, --port, \"3000\"]\n")]
    [InlineData("command: [\"npm\", \"start\"]\n", "args: [npm, start]\n")]
    [InlineData("command: sh -c \"echo 'hi there' && sleep 1\"\n", "args: [sh, -c, echo 'hi there' && sleep 1]\n")]
    [InlineData("command: [nginx, -g, \"daemon off;\"]\n", "args: [nginx, -g, daemon off;]\n")]
    [InlineData("command: [\"--port\", 8080, \"--flag=a,b\"]\n", "args: [--port, \"8080\", \"--flag=a,b\"]\n")]
    [InlineData("command: ''\n", "")]
    public void Command_becomes_args(string settings, string expected)
    {
        var result = ImportService(settings);

        Assert.Equal(Head + expected + Tail, Service(result, "app"));
        Assert.Empty(Findings(result));
    }

    [Fact]
    public void Entrypoint_becomes_command_and_its_other_words_come_before_the_args()
    {
        var result = ImportService("entrypoint: /docker-entrypoint.sh --verbose\ncommand: [nginx, -g, \"daemon off;\"]\n");

        Assert.Equal(Head + "command: /docker-entrypoint.sh\nargs: [--verbose, nginx, -g, daemon off;]\n" + Tail, Service(result, "app"));
        Assert.Empty(Findings(result));
    }

    [Fact]
    public void Entrypoint_without_command_says_that_the_image_CMD_is_dropped_as_in_Docker()
    {
        var result = ImportService("entrypoint: [\"/app/worker\"]\n");

        Assert.Equal(Head + "command: /app/worker\n" + Tail, Service(result, "app"));
        Assert.Equal(
            ["5:5: services.app.entrypoint replaces the image's ENTRYPOINT, so the image's CMD is dropped too (as Docker does); put its arguments in 'args' if it needs them"],
            Findings(result));
    }

    [Fact]
    public void An_empty_entrypoint_cannot_be_written()
    {
        var result = ImportService("entrypoint: []\ncommand: [serve]\n");

        Assert.Equal(Head + "args: [serve]\n" + Tail, Service(result, "app"));
        Assert.Equal(["5:17: services.app.entrypoint is empty: the manifest cannot clear the image's ENTRYPOINT (ignored)"], Findings(result));
    }

    [Fact]
    public void Working_dir_becomes_workingDir_when_it_is_absolute()
    {
        Assert.Equal(Head + "args: [serve]\nworkingDir: /srv/app\n" + Tail, Service(ImportService("working_dir: /srv/app\ncommand: serve\n"), "app"));

        var relative = ImportService("working_dir: app\n");

        Assert.Equal(Head + Tail, Service(relative, "app"));
        Assert.Equal(["5:18: services.app.working_dir 'app' must be an absolute folder in the container (ignored)"], Findings(relative));
    }

    [Theory]
    [InlineData("command: echo \"unfinished\n", "args: [echo, unfinished]\n", "5:14: services.app.command has a \" that is not closed; it is split as if it were closed at the end")]
    [InlineData("command: echo 'unfinished\n", "args: [echo, unfinished]\n", "5:14: services.app.command has a ' that is not closed; it is split as if it were closed at the end")]
    [InlineData("command: [echo, [nested]]\n", "args: [echo]\n", "5:21: services.app.command must be a list of strings (ignored)")]
    [InlineData("command: {run: echo}\n", "", "5:14: services.app.command must be a string or a list of strings (ignored)")]
    public void Malformed_commands_are_reported(string settings, string expected, string finding)
    {
        var result = ImportService(settings);

        Assert.Equal(Head + expected + Tail, Service(result, "app"));
        Assert.Equal([finding], Findings(result));
    }
}
