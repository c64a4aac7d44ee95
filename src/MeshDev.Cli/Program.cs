using System.CommandLine;
using MeshDev.Cli.Commands;
using MeshDev.Cli.Infrastructure;

var root = new RootCommand("MeshDev: a local dev service mesh that launches a service's dependencies when they are first called.")
{
    UpCommand.Create(),
    DownCommand.Create(),
    StatusCommand.Create(),
    RoutesCommand.Create(),
    ValidateCommand.Create(),
    DoctorCommand.Create(),
    InitCommand.Create(),
    ImportCommand.Create(),
    ProfilesCommand.Create(),
    ServiceCommands.Start(),
    ServiceCommands.Stop(),
    LogsCommand.Create(),
    EventsCommand.Create(),
    DashboardCommand.Create(),
    GraphCommand.Create(),
    CompletionCommand.Create(),
};

// Ctrl+C is ours: `up` turns it into a graceful `down`, which may take longer than System.CommandLine's 2 s grace.
var parse = root.Parse(args);
return UnknownCommand.Report(root, parse) ?? LogsFileOption.Report(args, parse) ?? await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
