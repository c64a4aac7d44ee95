using System.CommandLine;
using System.Diagnostics;
using MeshDev.Cli.Infrastructure;
using MeshDev.Daemon.State;
using MeshDev.Runtime;

namespace MeshDev.Cli.Commands;

/// <summary><c>meshdev down</c>: stop the daemon and everything it launched, also when the daemon was killed.</summary>
public static class DownCommand
{
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(60);

    public static Command Create()
    {
        var file = CommonOptions.File();
        var command = new Command("down", "Stop the mesh and every service it launched") { file };
        command.SetAction(async (parse, ct) =>
        {
            var path = Path.GetFullPath(parse.GetValue(file)!);
            var state = StateDirectory.For(path);
            var info = DaemonInfo.TryRead(state.DaemonFile);
            var stoppedDaemon = false;
            if (info is { IsAlive: true })
            {
                using (var client = ControlClient.TryConnect(path, out _))
                {
                    try
                    {
                        await client!.PostAsync("/v1/shutdown", ct);
                    }
                    catch (HttpRequestException)
                    {
                        // Unreachable control API: fall through to waiting, then killing.
                    }
                }

                stoppedDaemon = await WaitForExitAsync(info.Pid, ShutdownTimeout, ct);
                if (!stoppedDaemon)
                {
                    Console.Error.WriteLine($"meshdev: the mesh (pid {info.Pid}) did not stop within {ShutdownTimeout.TotalSeconds:0} s; killing it");
                    Kill(info.Pid);
                    stoppedDaemon = true;
                }
            }

            // Whatever a killed daemon left behind: process groups recorded in .meshdev/pids.
            var orphans = Directory.Exists(state.Root) ? ProcessRuntime.KillOrphans(state.Root) : 0;
            if (File.Exists(state.DaemonFile))
            {
                File.Delete(state.DaemonFile);
            }

            Console.WriteLine((stoppedDaemon, orphans) switch
            {
                (true, 0) => $"mesh stopped ({path})",
                (true, _) => $"mesh stopped ({path}); also stopped {orphans} leftover process group(s)",
                (false, 0) => $"no mesh was running for {path}",
                (false, _) => $"no mesh was running for {path}; stopped {orphans} leftover process group(s)",
            });
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<bool> WaitForExitAsync(int pid, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Polled through /proc rather than Process.WaitForExitAsync: the daemon is not our child, and a zombie
        // (exited, not yet reaped) must count as gone.
        var deadline = Stopwatch.StartNew();
        while (UnixProcess.IsAlive(pid))
        {
            if (deadline.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(20, cancellationToken);
        }

        return true;
    }

    private static void Kill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
        }
        catch (ArgumentException)
        {
        }
    }
}
