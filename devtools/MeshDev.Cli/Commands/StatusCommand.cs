using System.CommandLine;
using MeshDev.Cli.Infrastructure;
using MeshDev.Daemon.Control;

namespace MeshDev.Cli.Commands;

/// <summary><c>meshdev status [--json] [--watch]</c>: one row per service; with <c>--watch</c>, again after every event.</summary>
public static class StatusCommand
{
    // Home and clear screen: a terminal shows the latest table only, like watch(1).
    private const string ClearScreen = "\e[H\e[2J";

    public static Command Create()
    {
        var file = CommonOptions.File();
        var json = CommonOptions.Json();
        var watch = new Option<bool>("--watch", "-w")
        {
            Description = "Print the status again after every event (launch, ready, failure, stop) until Ctrl+C; with --json, one object per line",
        };
        var command = new Command("status", "Show every service: runtime, state, endpoint, launches, last error") { file, json, watch };
        command.SetAction((parse, ct) => ControlClient.RunAsync(parse.GetValue(file)!, async client =>
        {
            var asJson = parse.GetValue(json);
            var status = await client.GetStatusAsync(ct);
            if (!parse.GetValue(watch))
            {
                if (asJson)
                {
                    JsonOutput.Print(status);
                }
                else
                {
                    Console.WriteLine(Render(status));
                }

                return ExitCodes.Ok;
            }

            var terminal = !Console.IsOutputRedirected;
            Print(status, asJson, terminal, first: true);
            // After the sequence the status includes: no change is missed between the two calls.
            await foreach (var _ in client.WatchEventsAsync(status.EventSequence, ct))
            {
                Print(await client.GetStatusAsync(ct), asJson, terminal, first: false);
            }

            // The feed ends when the mesh stops.
            Console.Error.WriteLine("meshdev: the mesh stopped");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void Print(MeshStatus status, bool asJson, bool terminal, bool first)
    {
        if (asJson)
        {
            JsonOutput.PrintLine(status);
        }
        else if (terminal)
        {
            Console.Write(ClearScreen);
            Console.WriteLine(Render(status));
        }
        else
        {
            if (!first)
            {
                Console.WriteLine();
            }

            Console.WriteLine(Render(status));
        }
    }

    public static string Render(MeshStatus status)
    {
        string[] header = ["NAME", "RUNTIME", "STATE", "ENDPOINT", "MESH PORT", "LAUNCHES", "LAST ERROR"];
        var rows = status.Services.Select(s => new[]
        {
            s.Name, s.Runtime, s.State, s.Endpoint ?? "-", s.MeshPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            s.Launches.ToString(System.Globalization.CultureInfo.InvariantCulture), s.LastError ?? "-",
        }).Prepend(header).ToArray();
        var widths = Enumerable.Range(0, header.Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var lines = rows.Select(r => string.Join("  ", r.Select((cell, i) => i == r.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        var xds = status.XdsPort == 0 ? "" : $", xDS 127.0.0.1:{status.XdsPort} with {status.XdsClients} client{(status.XdsClients == 1 ? "" : "s")}";
        var nacks = (status.XdsNacks ?? []).Select(n => $"xDS NACK: {n}");
        return string.Join(Environment.NewLine, lines
            .Prepend($"mesh {status.Manifest} (pid {status.Pid}, shared port 127.0.0.1:{status.HttpPort}{xds})")
            .Concat(nacks));
    }
}
