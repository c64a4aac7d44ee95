using System.CommandLine;
using MeshDev.Catalog;

namespace MeshDev.Cli.Infrastructure;

/// <summary>The <c>SVC</c> argument of the verbs on one service; shell completion offers the manifest's services.</summary>
public static class ServiceArgument
{
    /// <param name="file">The verb's <c>--file</c> option: completion reads the manifest it names.</param>
    public static Argument<string> Create(Option<string> file)
    {
        var argument = new Argument<string>("SVC") { Description = "The service name (as in the manifest)" };
        argument.CompletionSources.Add(context => Complete(context, file));
        return argument;
    }

    /// <summary>Zero or more service names (<c>meshdev logs [SVC ...]</c>), completed like <see cref="Create"/>'s.</summary>
    public static Argument<string[]> CreateMany(Option<string> file, string description)
    {
        var argument = new Argument<string[]>("SVC") { Description = description, Arity = ArgumentArity.ZeroOrMore };
        argument.CompletionSources.Add(context => Complete(context, file));
        return argument;
    }

    private static IEnumerable<string> Complete(System.CommandLine.Completions.CompletionContext context, Option<string> file) =>
        Names(context.ParseResult.GetValue(file) ?? "meshdev.yaml").Where(n => n.StartsWith(context.WordToComplete, StringComparison.Ordinal));

    /// <summary>The services of the manifest, in its order; empty when it cannot be read or is invalid.</summary>
    public static IReadOnlyList<string> Names(string manifestPath)
    {
        try
        {
            return [.. ManifestLoader.Load(manifestPath).Services.Select(s => s.Name)];
        }
        catch (Exception)
        {
            // Completion never fails loudly: an unreadable or invalid manifest simply offers no names.
            return [];
        }
    }
}
