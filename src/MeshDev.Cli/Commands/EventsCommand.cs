using System.CommandLine;
using MeshDev.Cli.Infrastructure;
using MeshDev.Daemon.Hosting;
using MeshDev.Runtime;

namespace MeshDev.Cli.Commands;

/// <summary>
/// <c>meshdev events [--json]</c>: the mesh's recent events (launches, readiness, failures, idle stops), then every new
/// one as it happens, one line each, until Ctrl+C or until the mesh stops.
/// </summary>
public static class EventsCommand
{
    public static Command Create()
    {
        var file = CommonOptions.File();
        var json = CommonOptions.Json();
        json.Description = "One JSON object per line: sequence, time, service, from, to, detail, reason (what launched the service, on a launch's events)";
        var command = new Command("events", "Follow the mesh's events: every launch, readiness, failure and stop of every service (recent ones first)") { file, json };
        command.SetAction((parse, ct) => ControlClient.RunAsync(parse.GetValue(file)!, async client =>
        {
            var asJson = parse.GetValue(json);
            await foreach (var e in client.WatchEventsAsync(afterSequence: 0, ct))
            {
                if (asJson)
                {
                    JsonOutput.PrintLine(new
                    {
                        sequence = e.Sequence,
                        time = LogFile.FormatTime(e.At),
                        service = e.Change.Service,
                        from = e.Change.From.ToString().ToLowerInvariant(),
                        to = e.Change.To.ToString().ToLowerInvariant(),
                        detail = e.Change.Detail,
                        reason = e.Change.Reason,
                    });
                }
                else
                {
                    Console.WriteLine(Render(e));
                }
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary><c>2026-11-27T10:00:00.123456Z  orders  stopped → starting  launching [call from frontend]</c>.</summary>
    public static string Render(MeshEvent e) =>
        $"{LogFile.FormatTime(e.At)}  {e.Change.Service}  {e.Change.From.ToString().ToLowerInvariant()} → {e.Change.To.ToString().ToLowerInvariant()}  {e.Change.Detail}{(e.Change.Reason is { } reason ? $" [{reason.Text}]" : "")}".TrimEnd();
}
