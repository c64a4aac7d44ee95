using System.Diagnostics;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// One run of a container's command, really started on this machine inside its pod's network namespace:
/// <c>nsenter --net=…</c> then <c>setsid</c>, both of which exec in place, so <see cref="Pid"/> is the command's own
/// process and leads a process group of its own (the container's processes). Its output goes to a
/// <see cref="ContainerOutput"/>. When it exits, what it left in its group is killed, as a container's processes all
/// end with it.
/// </summary>
internal sealed class ContainerProcess
{
    private readonly Process _process;

    private ContainerProcess(Process process, ContainerOutput output, TimeProvider time)
    {
        _process = process;
        Pid = process.Id;
        var pump = Task.WhenAll(PumpAsync(process.StandardOutput, output), PumpAsync(process.StandardError, output));
        Exited = WaitAsync(pump, output, time);
    }

    public int Pid { get; }

    /// <summary>The exit code (128 + the signal when killed, as the kubelet reports it) once the process and its output have ended.</summary>
    public Task<int> Exited { get; }

    public static ContainerProcess Start(PodNetwork network, ContainerCommand command, string executable, ContainerOutput output, TimeProvider time)
    {
        var start = new ProcessStartInfo(HostCommand.Find("nsenter"))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = command.WorkingDirectory,
        };
        foreach (var argument in (string[])[$"--net={network.Path}", "--", HostCommand.Find("setsid"), "--", executable, .. command.Arguments.Skip(1)])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Clear();
        foreach (var (name, value) in command.Environment)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start");
        // A container has no stdin unless it asks for one.
        process.StandardInput.Close();
        return new ContainerProcess(process, output, time);
    }

    /// <summary>Signals the container's processes (its process group).</summary>
    public void Signal(int signal) => UnixProcess.SignalGroup(Pid, signal);

    private async Task<int> WaitAsync(Task pump, ContainerOutput output, TimeProvider time)
    {
        await _process.WaitForExitAsync();
        var exitCode = _process.ExitCode;
        Signal(UnixProcess.SigKill);
        // What it printed before it exited is in the pipes; only a process that left the group could hold them longer.
        // The bound is for that case alone: on a loaded machine the pump itself may take a while to get a thread, and a
        // crash reported before its last lines are read would show a log without them.
        await Task.WhenAny(pump, Task.Delay(TimeSpan.FromSeconds(10), time));
        output.End();
        _process.Dispose();
        return exitCode;
    }

    private static async Task PumpAsync(StreamReader reader, ContainerOutput output)
    {
        try
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                output.Write(line);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The pipe was closed under us when the process object went.
        }
    }
}
