using System.CommandLine;
using MeshDev.Cli.Infrastructure;
using MeshDev.Daemon.State;

namespace MeshDev.Cli.Commands;

/// <summary>Verbs on one service: <c>start SVC</c>, <c>stop SVC</c>, <c>logs SVC [-f]</c>.</summary>
public static class ServiceCommands
{
    public static Command Start() => Control("start", "Launch a service now and wait until it is ready");

    public static Command Stop() => Control("stop", "Stop a service the mesh launched (the next call relaunches it)");

    public static Command Logs()
    {
        var file = CommonOptions.File();
        var service = new Argument<string>("service") { Description = "The service name" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines" };
        // -f is --follow here, as in docker/kubectl logs; the manifest is --file only.
        file.Aliases.Remove("-f");
        var command = new Command("logs", "Print a service's log (the same lines `up` shows with its name as prefix)") { service, file, follow };
        command.SetAction(async (parse, ct) =>
        {
            var path = StateDirectory.For(Path.GetFullPath(parse.GetValue(file)!)).ServiceLog(parse.GetValue(service)!);
            if (!File.Exists(path))
            {
                return CommonOptions.Fail($"no log for service '{parse.GetValue(service)}' yet ({path}); it has not been launched by this mesh");
            }

            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    var line = await reader.ReadLineAsync(ct);
                    if (line is not null)
                    {
                        Console.WriteLine(line);
                    }
                    else if (!parse.GetValue(follow))
                    {
                        break;
                    }
                    else
                    {
                        await Task.Delay(200, ct);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Control(string verb, string description)
    {
        var file = CommonOptions.File();
        var service = new Argument<string>("service") { Description = "The service name" };
        var command = new Command(verb, description) { service, file };
        command.SetAction(async (parse, ct) =>
        {
            using var client = ControlClient.TryConnect(parse.GetValue(file)!, out var why);
            if (client is null)
            {
                return CommonOptions.Fail(why);
            }

            var (ok, body) = await client.PostAsync($"/v1/services/{Uri.EscapeDataString(parse.GetValue(service)!)}/{verb}", ct);
            if (!ok)
            {
                return CommonOptions.Fail(body);
            }

            Console.WriteLine($"{parse.GetValue(service)}: {verb} done");
            return ExitCodes.Ok;
        });
        return command;
    }
}
