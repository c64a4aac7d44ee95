using System.CommandLine;
using MeshDev.Cli.Infrastructure;

namespace MeshDev.Cli.Commands;

/// <summary>
/// <c>meshdev completion bash|zsh|pwsh</c>: a script that makes the shell ask meshdev itself what can come next
/// (System.CommandLine's <c>[suggest:POSITION] "command line"</c> directive), so completion knows every verb and
/// option of this very version, and the service names of the manifest.
/// </summary>
public static class CompletionCommand
{
    private static readonly Dictionary<string, string> Scripts = new(StringComparer.Ordinal)
    {
        ["bash"] = "completion.bash",
        ["zsh"] = "completion.zsh",
        ["pwsh"] = "completion.ps1",
    };

    public static Command Create()
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh or pwsh", HelpName = "bash|zsh|pwsh" };
        shell.AcceptOnlyFromAmong([.. Scripts.Keys]);
        var command = new Command("completion", "Print a shell script that completes verbs, options and service names: source <(meshdev completion bash)") { shell };
        command.SetAction(parse =>
        {
            using var script = typeof(CompletionCommand).Assembly.GetManifestResourceStream(Scripts[parse.GetValue(shell)!])
                ?? throw new InvalidOperationException($"the {parse.GetValue(shell)} completion script is not embedded in meshdev");
            using var reader = new StreamReader(script);
            Console.Write(reader.ReadToEnd());
            return ExitCodes.Ok;
        });
        return command;
    }
}
