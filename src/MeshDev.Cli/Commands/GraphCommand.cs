using System.CommandLine;
using MeshDev.Calls;
using MeshDev.Cli.Infrastructure;
using MeshDev.Daemon.State;

namespace MeshDev.Cli.Commands;

/// <summary>
/// <c>meshdev graph [--format mermaid|dot] [--json] [--all]</c>: who called whom through the mesh, and how often; the
/// services that took part (and those running), or with <c>--all</c> every service of the manifest.
/// </summary>
public static class GraphCommand
{
    public const string Mermaid = "mermaid";
    public const string Dot = "dot";

    public static Command Create()
    {
        var file = CommonOptions.File();
        var format = new Option<string>("--format")
        {
            Description = "mermaid (a 'graph LR' for Markdown) or dot (Graphviz)",
            DefaultValueFactory = _ => Mermaid,
        };
        format.AcceptOnlyFromAmong(Mermaid, Dot);
        var json = CommonOptions.Json();
        var all = new Option<bool>("--all")
        {
            Description = "Every service of the manifest as a node, also those never called and not running",
        };
        var command = new Command("graph", "Print the observed call graph (who called whom through the mesh, how often) as Mermaid or DOT") { file, format, json, all };
        command.SetAction(async (parse, ct) =>
        {
            if (RunningDaemon.TryFind(parse.GetValue(file)!, out var why) is not { } info)
            {
                return CommonOptions.Fail(why);
            }

            CallGraphSnapshot graph;
            try
            {
                graph = await DashboardClient.GetGraphAsync(info, ct, parse.GetValue(all));
            }
            catch (HttpRequestException ex)
            {
                return CommonOptions.Fail($"could not read the call graph from the mesh at {info.ControlUrl}: {ex.Message}");
            }

            if (parse.GetValue(json))
            {
                JsonOutput.Print(graph);
            }
            else
            {
                Console.Write(Render(graph, parse.GetValue(format)!));
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    public static string Render(CallGraphSnapshot graph, string format) =>
        format == Dot ? CallGraphText.Dot(graph) : CallGraphText.Mermaid(graph);
}
