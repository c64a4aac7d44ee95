using System.CommandLine;
using MeshDev.Cli.Infrastructure;
using MeshDev.Daemon.Control;

namespace MeshDev.Cli.Commands;

/// <summary>Verbs that change one service: <c>start SVC</c>, <c>stop SVC</c>; each prints the state it left the service in.</summary>
public static class ServiceCommands
{
    public static Command Start()
    {
        var file = CommonOptions.File();
        var service = ServiceArgument.Create(file);
        var command = new Command("start", "Launch a service now and wait until it is ready (a failed launch prints its cause and log tail, exit 1)") { service, file };
        command.SetAction((parse, ct) => ControlClient.RunAsync(parse.GetValue(file)!, async client =>
        {
            var (status, failure) = await client.StartAsync(parse.GetValue(service)!, ct);
            if (failure is not null)
            {
                Console.Error.WriteLine($"meshdev: service '{status.Name}' could not be launched: {failure.Cause}");
                foreach (var line in failure.LogTail)
                {
                    Console.Error.WriteLine($"{status.Name} | {line}");
                }

                return ExitCodes.Failed;
            }

            Console.WriteLine(Describe(status));
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Stop()
    {
        var file = CommonOptions.File();
        var service = ServiceArgument.Create(file);
        var hold = new Option<bool>("--hold")
        {
            Description = "Then hold it for an instance you start (your IDE's '(mesh)' profile): calls wait for one on its fixed port instead of launching, until 'meshdev start'",
        };
        var command = new Command("stop", "Stop a service the mesh launched and wait until it is stopped (the next call relaunches it)") { service, file, hold };
        command.SetAction((parse, ct) => ControlClient.RunAsync(parse.GetValue(file)!, async client =>
        {
            var held = parse.GetValue(hold);
            var status = await client.StopAsync(parse.GetValue(service)!, ct, held);
            Console.WriteLine(Describe(status));
            if (held)
            {
                Console.WriteLine($"{status.Name}: held for an instance you start: calls wait for one on its port (up to its startTimeout) "
                    + $"instead of launching; 'meshdev start {status.Name}' lets the mesh launch it again");
            }

            if (status.State == "external" && !held)
            {
                // Printed as it is, and exit 0, the line read as if the stop had happened.
                return CommonOptions.Fail($"{status.Name} was not stopped: it is external, an instance the mesh did not launch "
                    + $"(run from your IDE, or a remote upstream) at {status.Endpoint}; stop it where it runs");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary><c>orders: ready at 127.0.0.1:40449 (mesh port 15102, launches 1)</c>.</summary>
    public static string Describe(ServiceStatus status) =>
        $"{status.Name}: {status.State}{(status.Endpoint is { } endpoint ? $" at {endpoint}" : "")} (mesh port {status.MeshPort}, launches {status.Launches})";
}
