using System.CommandLine;
using System.Text.Json;
using MeshDev.Cli.Infrastructure;
using MeshDev.Daemon.Control;

namespace MeshDev.Cli.Commands;

/// <summary><c>meshdev status [--json]</c>: one row per service.</summary>
public static class StatusCommand
{
    public static Command Create()
    {
        var file = CommonOptions.File();
        var json = CommonOptions.Json();
        var command = new Command("status", "Show every service: runtime, state, endpoint, launches, last error") { file, json };
        command.SetAction(async (parse, ct) =>
        {
            using var client = ControlClient.TryConnect(parse.GetValue(file)!, out var why);
            if (client is null)
            {
                return CommonOptions.Fail(why);
            }

            var status = await client.GetStatusAsync(ct);
            Console.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(status, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }) : Render(status));
            return ExitCodes.Ok;
        });
        return command;
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
