using System.Diagnostics;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>What a command run to its end printed, and how it ended.</summary>
public sealed record CommandResult(int ExitCode, string Output, string Error);

/// <summary>
/// Runs the host tools the stand-in's pod networking is made of (<c>ip</c>, <c>nsenter</c>) and short commands inside a
/// pod's namespace, to their end. A cancelled run kills the command and everything it started.
/// </summary>
internal static class HostCommand
{
    // Tests may run with a PATH that lacks the sbin directories, where ip lives.
    private static readonly string[] ExtraDirectories = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

    /// <summary>The full path of <paramref name="tool"/> on this machine; a clear failure when it is missing.</summary>
    public static string Find(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(ExtraDirectories)
            .Select(d => Path.Combine(d, tool))
            .FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException($"the stand-in needs '{tool}' to run pods in network namespaces: install it (iproute2, util-linux)");

    public static async Task<CommandResult> RunAsync(
        string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            start.Environment.Clear();
            foreach (var (name, value) in environment)
            {
                start.Environment[name] = value;
            }
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new CommandResult(process.ExitCode, await output, await error);
    }

    /// <summary>Runs <c>ip</c> with <paramref name="arguments"/>; a failure says which command failed and what ip said.</summary>
    public static async Task<string> IpAsync(params string[] arguments)
    {
        var result = await RunAsync(Find("ip"), arguments);
        return result.ExitCode == 0
            ? result.Output
            : throw new InvalidOperationException($"'ip {string.Join(' ', arguments)}' failed: {result.Error.Trim()}");
    }
}
