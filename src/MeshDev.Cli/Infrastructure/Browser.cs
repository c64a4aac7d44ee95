using System.ComponentModel;
using System.Diagnostics;

namespace MeshDev.Cli.Infrastructure;

/// <summary>Opens a URL in the desktop's browser (xdg-open), when there is a desktop.</summary>
public static class Browser
{
    /// <summary>Null when the browser was asked to open it; else why not, as a sentence.</summary>
    public static async Task<string?> TryOpenAsync(string url)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WAYLAND_DISPLAY")))
        {
            return "no display (DISPLAY and WAYLAND_DISPLAY are unset), so no browser was opened; open the URL above in one";
        }

        var xdgOpen = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, "xdg-open"))
            .FirstOrDefault(File.Exists);
        if (xdgOpen is null)
        {
            return "xdg-open is not installed (apt-get install xdg-utils), so no browser was opened; open the URL above in one";
        }

        var start = new ProcessStartInfo(xdgOpen)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(url);
        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardError.ReadToEndAsync();
            _ = process.StandardOutput.ReadToEndAsync();
            // xdg-open returns once the browser has it; one that keeps it waiting is left to it.
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            return process.ExitCode == 0 ? null : $"xdg-open failed ({(await output.ConfigureAwait(false)).Trim()}); open the URL above in a browser";
        }
        catch (TimeoutException)
        {
            return null;
        }
        catch (Win32Exception e)
        {
            return $"could not run xdg-open ({e.Message}); open the URL above in a browser";
        }
    }
}
