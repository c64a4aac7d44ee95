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
        var service = ServiceArgument.Create(file);
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines until Ctrl+C (or until the mesh stops)" };
        var since = SinceOption.Create();
        var tail = new Option<int?>("--tail", "-n") { HelpName = "N", Description = "Only the last N lines (then new ones with --follow)" };
        var timestamps = new Option<bool>("--timestamps", "-t") { Description = "Prefix every line with the time the mesh read it (ISO-8601 UTC)" };
        var json = CommonOptions.Json();
        json.Description = "One JSON object per line: time, service, line";
        var command = new Command("logs", "Print a service's log (the same lines `up` shows with its name as prefix)")
        {
            service, file, follow, since, tail, timestamps, json,
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
            var name = parse.GetValue(service)!;
            var query = new LogQuery(parse.GetValue(since), parse.GetValue(tail), parse.GetValue(follow));
            var print = Printer(name, parse.GetValue(timestamps), parse.GetValue(json));
            var manifest = Path.GetFullPath(parse.GetValue(file)!);
            using (var client = ControlClient.TryConnect(manifest, out _))
            {
                if (client is not null)
                {
                    try
                    {
                        await foreach (var entry in client.StreamLogsAsync(name, query, ct))
                        {
                            print(entry);
                        }

                        return ExitCodes.Ok;
                    }
                    catch (RpcException ex)
                    {
                        return CommonOptions.Fail(client.Describe(ex));
                    }
                }
            }

            // No mesh runs: the file it left.

            var path = StateDirectory.For(manifest).ServiceLog(name);
            if (!File.Exists(path))
            {
                if (!File.Exists(manifest))
                {
                    return CommonOptions.Fail(RunningDaemon.NoneRunning(manifest));
                }

                // A mistyped name has no log either, but the reason to give is the name, as the running mesh gives it.
                return CommonOptions.Fail(ServiceArgument.Names(manifest) is { Count: > 0 } names && !names.Contains(name)
                    ? $"no service '{name}' in {manifest}; known services: {string.Join(", ", names)}"
                    : $"no log for service '{name}' yet ({path}); it has not been launched by this mesh");
            }

            try
            {
                await foreach (var entry in LogFile.ReadAsync(path, query, cancellationToken: ct))
                {
                    print(entry);
                }
            }
            catch (OperationCanceledException)
            {
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Action<LogEntry> Printer(string service, bool timestamps, bool json)
    {
        var print = LinePrinter(service, timestamps, json);

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

    private static Action<LogEntry> LinePrinter(string service, bool timestamps, bool json)
    {
        if (json)
        {
            return entry => JsonOutput.PrintLine(new { time = entry.Time is { } t ? LogFile.FormatTime(t) : null, service, line = entry.Text });
        }

        return timestamps
            ? entry => Console.WriteLine(LogFile.Format(entry))
            : entry => Console.WriteLine(entry.Text);
    }
}
