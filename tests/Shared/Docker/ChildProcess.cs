using System.Diagnostics;

namespace MeshDev.Testing.Docker;

/// <summary>Runs a command line tool to completion and keeps its output (stdout and stderr interleaved) for the failure message.</summary>
internal static class ChildProcess
{
    // Set by a parent `dotnet test`; inherited, they pin a nested `dotnet publish` to the parent's MSBuild.
    private static readonly string[] InheritedMsBuildVariables = ["MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly"];

    /// <summary>The <c>dotnet</c> host: the one running these tests when the CLI says so, else the one on PATH.</summary>
    public static string Dotnet =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>Runs <paramref name="fileName"/> with <paramref name="arguments"/>; returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string fileName, IEnumerable<string> arguments, string workingDirectory, CancellationToken cancellationToken)
    {
        var (exitCode, lines) = await RunLinesAsync(fileName, arguments, workingDirectory, cancellationToken);
        return (exitCode, Join(lines.Select(l => l.Line)));
    }

    /// <summary>As <see cref="RunAsync"/>, with standard output and standard error apart.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunSplitAsync(string fileName, IEnumerable<string> arguments, string workingDirectory, CancellationToken cancellationToken)
    {
        var (exitCode, lines) = await RunLinesAsync(fileName, arguments, workingDirectory, cancellationToken);
        return (exitCode, Join(lines.Where(l => !l.Error).Select(l => l.Line)), Join(lines.Where(l => l.Error).Select(l => l.Line)));
    }

    private static string Join(IEnumerable<string> lines) => string.Concat(lines.Select(l => l + Environment.NewLine));

    private static async Task<(int ExitCode, List<(bool Error, string Line)> Lines)> RunLinesAsync(string fileName, IEnumerable<string> arguments, string workingDirectory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var variable in InheritedMsBuildVariables)
        {
            start.Environment.Remove(variable);
        }

        var lines = new List<(bool Error, string Line)>();
        DataReceivedEventHandler Append(bool error) => (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (lines)
                {
                    lines.Add((error, line));
                }
            }
        };

        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += Append(false);
        process.ErrorDataReceived += Append(true);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        lock (lines)
        {
            return (process.ExitCode, [.. lines]);
        }
    }
}
