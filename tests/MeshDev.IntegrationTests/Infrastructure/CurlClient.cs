using System.Diagnostics;

namespace MeshDev.IntegrationTests.Infrastructure;

/// <summary>Runs the real <c>/usr/bin/curl</c>: a client that shares no code with .NET's HttpClient.</summary>
internal static class CurlClient
{
    public const string Path = "/usr/bin/curl";

    public sealed record Result(int ExitCode, int HttpStatus, string Body, string Verbose);

    /// <summary>Runs curl with <paramref name="arguments"/> (plus -sS -v and a status trailer); stderr holds the -v trace.</summary>
    public static async Task<Result> RunAsync(params string[] arguments)
    {
        Assert.True(File.Exists(Path), $"{Path} is required (apt-get install curl)");
        const string Marker = "\n--meshdev-status:";
        var start = new ProcessStartInfo(Path)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "-sS", "-v", "--max-time", "60", "-w", Marker + "%{http_code}" }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        // Only the proxy given on the command line, whatever the machine's environment says.
        foreach (var variable in new[] { "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY" })
        {
            start.Environment.Remove(variable);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(Eventually.Deadline);
        }
        catch (TimeoutException)
        {
            process.Kill();
            throw;
        }

        var output = await stdout;
        var split = output.LastIndexOf(Marker, StringComparison.Ordinal);
        var status = split >= 0 && int.TryParse(output[(split + Marker.Length)..], out var code) ? code : 0;
        return new Result(process.ExitCode, status, split >= 0 ? output[..split] : output, await stderr);
    }
}
