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
        argument.CompletionSources.Add(context =>
            Names(context.ParseResult.GetValue(file) ?? "meshdev.yaml").Where(n => n.StartsWith(context.WordToComplete, StringComparison.Ordinal)));
        return argument;
    }

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
