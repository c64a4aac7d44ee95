using System.CommandLine;
using MeshDev.Catalog;

namespace MeshDev.Cli.Infrastructure;

/// <summary>
/// <c>meshdev lauch</c>: one sentence naming the nearest verb (or listing them), instead of System.CommandLine's
/// "Required command was not provided." followed by "Unrecognized command or argument" and the whole help.
/// </summary>
public static class UnknownCommand
{
    /// <summary>Reports an unknown verb on stderr and returns the exit code; null when the command line names a known verb (or none).</summary>
    public static int? Report(RootCommand root, ParseResult parse)
    {
        if (parse.Errors.Count == 0 || parse.CommandResult.Command != root || parse.UnmatchedTokens is not [var typed, ..] || typed.StartsWith('-'))
        {
            return null;
        }

        var verbs = root.Subcommands.Where(verb => !verb.Hidden).Select(verb => verb.Name).ToList();
        Console.Error.WriteLine(NearestName.Find(typed, verbs) is { } nearest
            ? $"meshdev: unknown command '{typed}'; did you mean '{nearest}'?"
            : $"meshdev: unknown command '{typed}'; use one of {string.Join(", ", verbs)} (meshdev --help says what each does)");
        return ExitCodes.UnknownCommand;
    }
}
