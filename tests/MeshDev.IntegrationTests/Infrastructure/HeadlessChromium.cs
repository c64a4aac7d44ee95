using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MeshDev.IntegrationTests.Infrastructure;

/// <summary>
/// The real Chromium (Debian's <c>chromium</c> package), headless, with a temporary profile, driven over the DevTools
/// protocol (<see cref="DevToolsSession"/>). Disposing kills it with every process it started and deletes the profile.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    public const string Path = "/usr/bin/chromium";

    private readonly Process _process;
    private readonly string _tag;
    private readonly DirectoryInfo _profile;
    private readonly StringBuilder _stderr;
    private DevToolsSession? _devTools;

    private HeadlessChromium(Process process, string tag, DirectoryInfo profile, StringBuilder stderr)
    {
        _process = process;
        _tag = tag;
        _profile = profile;
        _stderr = stderr;
    }

    public DevToolsSession DevTools => _devTools ?? throw new InvalidOperationException("not connected");

    /// <summary>What Chromium wrote on stderr so far, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Starts Chromium (window 1400×1000) and connects to its DevTools endpoint, read from its stderr.</summary>
    public static async Task<HeadlessChromium> StartAsync()
    {
        Assert.True(File.Exists(Path), $"{Path} is required (apt-get install chromium; devtools/setup.sh installs it)");
        var profile = Directory.CreateTempSubdirectory("meshdev-chromium-");
        var tag = TaggedProcesses.NewTag();
        var start = new ProcessStartInfo(Path) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[]
        {
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--window-size=1400,1000", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", $"--user-data-dir={profile.FullName}", "about:blank",
        })
        {
            start.ArgumentList.Add(argument);
        }

        // Only loopback, and never through a proxy from the machine's environment.
        foreach (var variable in new[] { "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY" })
        {
            start.Environment.Remove(variable);
        }

        start.Environment[TaggedProcesses.Variable] = tag;
        var process = Process.Start(start)!;
        var stderr = new StringBuilder();
        var endpoint = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not { } line)
            {
                return;
            }

            lock (stderr)
            {
                stderr.AppendLine(line);
            }

            const string Marker = "DevTools listening on ";
            if (line.StartsWith(Marker, StringComparison.Ordinal))
            {
                endpoint.TrySetResult(new Uri(line[Marker.Length..].Trim()));
            }
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var chromium = new HeadlessChromium(process, tag, profile, stderr);
        try
        {
            await Task.WhenAny(endpoint.Task, process.WaitForExitAsync()).WaitAsync(Eventually.Deadline);
            if (!endpoint.Task.IsCompleted)
            {
                throw new InvalidOperationException($"chromium exited with code {process.ExitCode} before it listened for DevTools:{Environment.NewLine}{chromium.Output}");
            }

            chromium._devTools = await DevToolsSession.ConnectAsync(await endpoint.Task);
            return chromium;
        }
        catch
        {
            await chromium.DisposeAsync();
            throw;
        }
    }

    /// <summary>A new tab, navigated to <paramref name="url"/>.</summary>
    public async Task<ChromiumPage> OpenAsync(string url)
    {
        var session = await DevTools.OpenPageAsync();
        await DevTools.SendAsync("Page.enable", sessionId: session);
        var navigated = await DevTools.SendAsync("Page.navigate", new JsonObject { ["url"] = url }, session);
        if (navigated.TryGetProperty("errorText", out var error))
        {
            throw new InvalidOperationException($"chromium could not load {url}: {error}");
        }

        return new ChromiumPage(this, session);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_devTools is not null)
            {
                await _devTools.DisposeAsync();
            }

            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync().WaitAsync(Eventually.Deadline);
        }
        finally
        {
            // Renderers and helpers that slipped out of the tree still carry the tag.
            TaggedProcesses.KillAll(_tag);
            _process.Dispose();
            try
            {
                _profile.Delete(recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }
}
