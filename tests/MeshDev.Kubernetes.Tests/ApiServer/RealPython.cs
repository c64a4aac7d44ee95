using System.Diagnostics;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// The python3 interpreter itself, not pyenv's launcher script in front of it: the kubelet signals the pid it started,
/// and the shim is slow to start.
/// </summary>
internal static class RealPython
{
    private static readonly Lazy<string> Found = new(() =>
    {
        using var probe = Process.Start(new ProcessStartInfo("python3", ["-c", "import sys; print(sys.executable)"]) { RedirectStandardOutput = true })!;
        var path = probe.StandardOutput.ReadToEnd().Trim();
        probe.WaitForExit();
        return path;
    });

    public static string Path => Found.Value;
}
