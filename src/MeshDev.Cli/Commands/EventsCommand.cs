using MeshDev.Activation;
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
            // The columns line up: services padded to the longest name the mesh has (a longer one later just pushes its line).
            var serviceWidth = asJson ? 0 : (await client.GetStatusAsync(ct).ConfigureAwait(false)).Services.Select(s => s.Name.Length).DefaultIfEmpty(0).Max();
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
                    Console.WriteLine(Render(e, serviceWidth));
                }
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    // The widest "from → to": every transition's column is padded to it.
    private static readonly int TransitionWidth = (2 * Enum.GetNames<ServiceState>().Max(n => n.Length)) + " → ".Length;

    /// <summary>
    /// <c>2026-11-27T10:00:00.123456Z  orders  stopped → starting  launching [call from frontend]</c>, the service
    /// padded to <paramref name="serviceWidth"/> and the transition to the widest one.
    /// </summary>
    public static string Render(MeshEvent e, int serviceWidth = 0)
    {
        var transition = $"{e.Change.From.ToString().ToLowerInvariant()} → {e.Change.To.ToString().ToLowerInvariant()}";
        var reason = e.Change.Reason is { } r ? $" [{r.Text}]" : "";
        return $"{LogFile.FormatTime(e.At)}  {e.Change.Service.PadRight(serviceWidth)}  {transition.PadRight(TransitionWidth)}  {e.Change.Detail}{reason}".TrimEnd();
    }
}
