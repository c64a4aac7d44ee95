using System.CommandLine;
using System.Globalization;
using MeshDev.Cli.Infrastructure;
using MeshDev.Daemon.Control;
using MeshDev.Text;

namespace MeshDev.Cli.Commands;

/// <summary>
/// <c>meshdev status [--json] [--watch] [--running]</c>: one row per service (with <c>--running</c>, only those that run),
/// saying what launched it; with <c>--watch</c>, again after every event.
/// </summary>
public static class StatusCommand
{
    // Home and clear screen: a terminal shows the latest table only, like watch(1).
    private const string ClearScreen = "\e[H\e[2J";

    // LAST ERROR keeps at least its header's width in the table, however wide the other columns are (the whole
    // sentence is below the table anyway).
    private const int MinErrorWidth = 10;

    public static Command Create()
    {
        var file = CommonOptions.File();
        var json = CommonOptions.Json();
        var watch = new Option<bool>("--watch", "-w")
        {
            Description = "Print the status again after every event (launch, ready, failure, stop) until Ctrl+C; with --json, one object per line",
        };
        var running = new Option<bool>("--running")
        {
            Description = "Only the services that run (starting, ready, stopping, external): in a large mesh, the few that matter",
        };
        var command = new Command("status", "Show every service: runtime, state, endpoint, launches, requests in flight and the oldest one's age, what launched it, last error")
        {
            file, json, watch, running,
        };
        command.SetAction((parse, ct) => ControlClient.RunAsync(parse.GetValue(file)!, async client =>
        {
            var asJson = parse.GetValue(json);
            var onlyRunning = parse.GetValue(running);
            var status = Filter(await client.GetStatusAsync(ct), onlyRunning);
            if (!parse.GetValue(watch))
            {
                if (asJson)
                {
                    JsonOutput.Print(status);
                }
                else
                {
                    Console.WriteLine(Render(status, TerminalWidth()));
                }

                return ExitCodes.Ok;
            }

            var terminal = !Console.IsOutputRedirected;
            Print(status, asJson, terminal, first: true);
            // After the sequence the status includes: no change is missed between the two calls.
            await foreach (var _ in client.WatchEventsAsync(status.EventSequence, ct))
            {
                Print(Filter(await client.GetStatusAsync(ct), onlyRunning), asJson, terminal, first: false);
            }

            // The feed ends when the mesh stops.
            Console.Error.WriteLine("meshdev: the mesh stopped");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static MeshStatus Filter(MeshStatus status, bool onlyRunning) =>
        onlyRunning ? status with { Services = [.. status.Services.Where(s => s.IsRunning)] } : status;

    private static void Print(MeshStatus status, bool asJson, bool terminal, bool first)
    {
        if (asJson)
        {
            JsonOutput.PrintLine(status);
        }
        else if (terminal)
        {
            Console.Write(ClearScreen);
            Console.WriteLine(Render(status, TerminalWidth()));
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

    /// <summary>The terminal's width, or null when the output is not a terminal (a file or a pipe keeps every error whole).</summary>
    private static int? TerminalWidth()
    {
        if (Console.IsOutputRedirected)
        {
            return null;
        }

        try
        {
            return Console.WindowWidth is > 0 and var width ? width : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// The table. With a <paramref name="width"/> (a terminal's), a LAST ERROR that would run past it is cut with "…" and
    /// printed whole below the table, so a long build error does not wrap every row it is on into the next.
    /// </summary>
    public static string Render(MeshStatus status, int? width = null)
    {
        string[] header = ["NAME", "RUNTIME", "STATE", "ENDPOINT", "MESH PORT", "LAUNCHES", "IN FLIGHT", "OLDEST", "REASON", "LAST ERROR"];
        var rows = status.Services.Select(s => new[]
        {
            s.Name, s.Runtime, StateCell(s), s.Endpoint ?? "-", s.MeshPort.ToString(CultureInfo.InvariantCulture),
            s.Launches.ToString(CultureInfo.InvariantCulture), s.InFlight.ToString(CultureInfo.InvariantCulture),
            s.OldestInFlightMs is { } oldest ? FormatAge(oldest) : "-", s.Reason?.Text ?? "-", OneLine(s.LastError) ?? "-",
        }).Prepend(header).ToArray();
        var widths = Enumerable.Range(0, header.Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var errorRoom = width is { } total ? Math.Max(MinErrorWidth, total - widths[..^1].Sum() - (2 * (header.Length - 1))) : int.MaxValue;
        var cut = new List<string>();
        foreach (var row in rows.Skip(1).Where(r => r[^1].Length > errorRoom))
        {
            cut.Add($"{row[0]} last error: {row[^1]}");
            row[^1] = $"{row[^1][..(errorRoom - 1)]}…";
        }

        var lines = rows.Select(r => string.Join("  ", r.Select((cell, i) => i == r.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        var xds = status.XdsPort == 0 ? "" : $", xDS 127.0.0.1:{status.XdsPort} with {Plural.Of(status.XdsClients, "client")}";
        var nacks = (status.XdsNacks ?? []).Select(n => $"xDS NACK: {n}");
        // Below the table: a column would be mostly empty, and a link that is down needs its whole sentence.
        var links = status.Services.Where(s => s.Link is not null).Select(s => $"{s.Name}: {s.Link}");
        return string.Join(Environment.NewLine, lines
            .Prepend($"mesh {status.Manifest} (pid {status.Pid}, shared port 127.0.0.1:{status.HttpPort}{xds})")
            .Concat(cut)
            .Concat(links)
            .Concat(nacks));
    }

    // Held, a service the mesh would launch is the developer's to start: "stopped" would hide why calls wait. An
    // external one is the developer's instance running, which says it already.
    private static string StateCell(ServiceStatus service) =>
        service.Held && service.State != "external" ? "held" : service.State;

    // A cell is one line: an error that spans several (a tool's output) would break every row under it.
    private static string? OneLine(string? text) => text?.ReplaceLineEndings(" ");

    /// <summary>An age without spaces, so the table still splits on whitespace: <c>850ms</c>, <c>12.3s</c>, <c>4m05s</c>, <c>2h03m</c>.</summary>
    internal static string FormatAge(long milliseconds) => milliseconds switch
    {
        < 1_000 => Invariant($"{milliseconds}ms"),
        // Tenths cut, not rounded: never more than the age the mesh measured.
        < 60_000 => Invariant($"{milliseconds / 1_000}.{milliseconds / 100 % 10}s"),
        < 3_600_000 => Invariant($"{milliseconds / 60_000}m{milliseconds / 1_000 % 60:00}s"),
        _ => Invariant($"{milliseconds / 3_600_000}h{milliseconds / 60_000 % 60:00}m"),
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
