namespace MeshDev.Cli.Infrastructure;

/// <summary>
/// <c>meshdev logs orders -f meshdev.yaml</c>: every other verb takes the manifest with <c>-f</c>, but for
/// <c>logs</c> it means <c>--follow</c> (as in <c>docker logs</c>), so the file is read as one more service name (or
/// an unknown argument). A service name is a DNS label, never a path: a YAML file or a folder with a manifest after
/// <c>-f</c> is this mistake, and one sentence with the command line that works replaces "no service 'samples/shop'".
/// </summary>
public static class LogsFileOption
{
    /// <summary>Reports the mix-up on stderr and returns the exit code; null when the command line is not that mistake.</summary>
    public static int? Report(IReadOnlyList<string> args, System.CommandLine.ParseResult parse)
    {
        if (parse.CommandResult.Command.Name != "logs")
        {
            return null;
        }

        for (var i = 1; i < args.Count; i++)
        {
            if (args[i - 1] is "-f" && IsManifest(args[i]))
            {
                var fixedArgs = args.Select((arg, index) => index == i - 1 ? "--file" : arg);
                Console.Error.WriteLine($"meshdev: for 'logs', -f is --follow (as in docker logs); name the manifest with --file: meshdev {string.Join(' ', fixedArgs)}");
                return ExitCodes.Failed;
            }
        }

        return null;
    }

    // A folder stands for its meshdev.yaml with every verb's -f (the README's `-f samples/shop`).
    private static bool IsManifest(string arg) =>
        arg.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || arg.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)
        || File.Exists(CommonOptions.InFolder(arg)) && Directory.Exists(arg);
}
