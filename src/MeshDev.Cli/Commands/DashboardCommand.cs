using System.CommandLine;
using MeshDev.Cli.Infrastructure;
using MeshDev.Daemon.State;

namespace MeshDev.Cli.Commands;

/// <summary><c>meshdev dashboard [--no-open]</c>: the dashboard's URL (with the token), opened in a browser when there is a display.</summary>
public static class DashboardCommand
{
    public static Command Create()
    {
        var file = CommonOptions.File();
        var noOpen = new Option<bool>("--no-open") { Description = "Only print the URL" };
        var command = new Command("dashboard", "Print the URL of the mesh's dashboard (services, call graph, recent requests; live) and open it in a browser") { file, noOpen };
        command.SetAction(async (parse, ct) =>
        {
            if (RunningDaemon.TryFind(parse.GetValue(file)!, out var why) is not { } info)
            {
                return CommonOptions.Fail(why);
            }

            // The URL carries the token (like the daemon file it comes from, it is only for this user's eyes).
            var url = DashboardClient.DashboardUrl(info);
            Console.WriteLine(url);
            if (!parse.GetValue(noOpen) && await Browser.TryOpenAsync(url) is { } notOpened)
            {
                Console.Error.WriteLine($"meshdev: {notOpened}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
