using System.Diagnostics;
using System.Text.RegularExpressions;

namespace MeshDev.IntegrationTests.Infrastructure;

/// <summary>Runs the real <c>hey</c> load generator (Go's HTTP client: nothing shared with .NET) and reads its status counts.</summary>
internal static partial class HeyClient
{
    public const string Path = "/usr/bin/hey";

    /// <summary>What hey saw: responses per status code, and the text of its error distribution (empty when none).</summary>
    public sealed record Result(IReadOnlyDictionary<int, int> Statuses, string Errors, string Output)
    {
        public int Count(int status) => Statuses.GetValueOrDefault(status);
    }

    /// <summary>
    /// Longest a run may take: hey runs with no request timeout of its own (<c>-t 0</c>), so a loaded machine makes a
    /// run slower, never a request fail; only a hang ends here.
    /// </summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(5);

    public static async Task<Result> RunAsync(params string[] arguments)
    {
        Assert.True(File.Exists(Path), $"{Path} is required (apt-get install hey; devtools/setup.sh installs it)");
        var start = new ProcessStartInfo(Path) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-t");
        start.ArgumentList.Add("0");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var variable in new[] { "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY" })
        {
            start.Environment.Remove(variable);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(Deadline);
        }
        catch (TimeoutException)
        {
            process.Kill();
            throw;
        }

        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"hey exited with {process.ExitCode}: {output}");
        var statuses = StatusLine().Matches(output).ToDictionary(m => int.Parse(m.Groups[1].Value), m => int.Parse(m.Groups[2].Value));
        var errorsAt = output.IndexOf("Error distribution:", StringComparison.Ordinal);
        return new Result(statuses, errorsAt < 0 ? "" : output[errorsAt..], output);
    }

    [GeneratedRegex(@"\[(\d{3})\]\s+(\d+) responses")]
    private static partial Regex StatusLine();
}
