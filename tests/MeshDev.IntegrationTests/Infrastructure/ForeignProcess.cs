using System.Diagnostics;
using MeshDev.Runtime;

namespace MeshDev.IntegrationTests.Infrastructure;

/// <summary>A program nobody here wrote (python's http.server, nc…) that a test starts outside any mesh; killed on dispose.</summary>
internal sealed class ForeignProcess : IDisposable
{
    private readonly Process _process;

    private ForeignProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public static ForeignProcess Start(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ForeignProcess(process);
    }

    /// <summary>Returns once something listens on <paramref name="port"/> (it can no longer be bound; no connection is made).</summary>
    public Task WaitUntilListeningAsync(int port) =>
        Eventually.UntilAsync(() => _process.HasExited ? throw new InvalidOperationException($"{_process.StartInfo.FileName} exited with code {_process.ExitCode}") : !Ports.CanBind(port),
            $"{_process.StartInfo.FileName} listening on {port}");

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
