using System.CommandLine;
using Grpc.Core;
using MeshDev.Cli.Infrastructure;
using MeshDev.Daemon.State;
using MeshDev.Runtime;

namespace MeshDev.Cli.Commands;

/// <summary>
/// <c>meshdev logs SVC [-f] [--since] [--tail N] [-t] [--json]</c>: a service's log, as in <c>docker logs</c>. From the
/// running mesh (which pushes new lines at once) or, when none runs, from the log file it left.
/// </summary>
public static class LogsCommand
{
    public static Command Create()
    {
        var file = CommonOptions.File();
        // -f is --follow here, as in docker/kubectl logs; the manifest is --file only.
        file.Aliases.Remove("-f");
        var services = ServiceArgument.CreateMany(file, "The services (as in the manifest); none: every service, each line prefixed with its name as in 'up'");
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines until Ctrl+C (or until the mesh stops)" };
        var since = SinceOption.Create();
        var tail = new Option<int?>("--tail", "-n") { HelpName = "N", Description = "Only the last N lines (then new ones with --follow)" };
        var timestamps = new Option<bool>("--timestamps", "-t") { Description = "Prefix every line with the time the mesh read it (ISO-8601 UTC)" };
        var json = CommonOptions.Json();
        json.Description = "One JSON object per line: time, service, line";
        var command = new Command("logs", "Print a service's log, or every service's interleaved (the same lines `up` shows with the service's name as prefix)")
        {
            services, file, follow, since, tail, timestamps, json,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(tail) is < 0)
            {
                result.AddError("--tail must be 0 or more");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            var names = parse.GetValue(services) ?? [];
            var query = new LogQuery(parse.GetValue(since), parse.GetValue(tail), parse.GetValue(follow));
            var (withTimes, asJson) = (parse.GetValue(timestamps), parse.GetValue(json));
            var manifest = Path.GetFullPath(parse.GetValue(file)!);

            // One service's lines as it wrote them, or several interleaved, each after its name.
            async Task PrintAsync(IReadOnlyList<string> shown, bool merged, MergedLogs.Source read)
            {
                if (merged)
                {
                    await MergedLogs.RunAsync(shown, query, read, Printers(shown, withTimes, asJson), ct);
                    return;
                }

                var print = Printer(shown[0], prefixWidth: 0, withTimes, asJson);
                await foreach (var entry in read(shown[0], query, ct))
                {
                    print(entry);
                }
            }

            using (var client = ControlClient.TryConnect(manifest, out _))
            {
                if (client is not null)
                {
                    try
                    {
                        var all = names.Length > 0 ? names : [.. (await client.GetStatusAsync(ct)).Services.Select(s => s.Name)];
                        await PrintAsync(all, merged: names.Length != 1, client.StreamLogsAsync);

                        return ExitCodes.Ok;
                    }
                    catch (RpcException ex)
                    {
                        return CommonOptions.Fail(client.Describe(ex));
                    }
                }
            }

            // No mesh runs: the files it left.
            var state = StateDirectory.For(manifest);
            if (names.Length == 0)
            {
                if (!File.Exists(manifest))
                {
                    return CommonOptions.Fail(RunningDaemon.NoneRunning(manifest, "--file"));
                }

                names = [.. ServiceArgument.Names(manifest).Where(n => File.Exists(state.ServiceLog(n)))];
                if (names.Length == 0)
                {
                    return CommonOptions.Fail($"no service has a log yet (none in {state.LogsDirectory}): this mesh has launched none");
                }
            }

            foreach (var name in names)
            {
                if (NoLog(manifest, state.ServiceLog(name), name) is { } why)
                {
                    return CommonOptions.Fail(why);
                }
            }

            try
            {
                await PrintAsync(names, merged: names.Length != 1, (n, q, c) => LogFile.ReadAsync(state.ServiceLog(n), q, c));
            }
            catch (OperationCanceledException)
            {
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    // Why a service's log file cannot be shown (a mistyped name, or not launched yet); null when it can.
    private static string? NoLog(string manifest, string path, string name)
    {
        if (File.Exists(path))
        {
            return null;
        }

        if (!File.Exists(manifest))
        {
            return RunningDaemon.NoneRunning(manifest, "--file");
        }

        // A mistyped name has no log either, but the reason to give is the name, as the running mesh gives it.
        return ServiceArgument.Names(manifest) is { Count: > 0 } known && !known.Contains(name)
            ? $"no service '{name}' in {manifest}; known services: {string.Join(", ", known)}"
            : $"no log for service '{name}' yet ({path}); it has not been launched by this mesh";
    }

    // One printer per service, each line prefixed with its service's name padded as 'up' pads them.
    private static Action<string, LogEntry> Printers(IReadOnlyList<string> services, bool timestamps, bool json)
    {
        var width = services.Max(s => s.Length);
        var printers = services.Distinct().ToDictionary(s => s, s => Printer(s, width, timestamps, json));
        return (service, entry) => printers[service](entry);
    }

    /// <param name="prefixWidth">0: the lines as the service wrote them; else each after <c>name |</c>, the name padded to this width.</param>
    private static Action<LogEntry> Printer(string service, int prefixWidth, bool timestamps, bool json)
    {
        var print = LinePrinter(service, prefixWidth == 0 ? "" : $"{service.PadRight(prefixWidth)} | ", timestamps, json);

        // The mesh's notes about the log (lines rotated away) go to stderr: stdout stays the service's output.
        return entry =>
        {
            if (entry.Notice)
            {
                Console.Error.WriteLine(entry.Text);
            }
            else
            {
                print(entry);
            }
        };
    }

    private static Action<LogEntry> LinePrinter(string service, string prefix, bool timestamps, bool json)
    {
        if (json)
        {
            return entry => JsonOutput.PrintLine(new { time = entry.Time is { } t ? LogFile.FormatTime(t) : null, service, line = entry.Text });
        }

        return timestamps
            ? entry => Console.WriteLine($"{prefix}{LogFile.Format(entry)}")
            : entry => Console.WriteLine($"{prefix}{entry.Text}");
    }
}
