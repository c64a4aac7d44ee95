using System.CommandLine;
using System.Diagnostics;
using Grpc.Core;
using MeshDev.Cli.Infrastructure;
using MeshDev.Catalog;
using MeshDev.Daemon.State;
using MeshDev.Docker;
using MeshDev.Runtime;
using MeshDev.Text;

namespace MeshDev.Cli.Commands;

/// <summary><c>meshdev down</c>: stop the daemon and everything it launched, also when the daemon was killed.</summary>
public static class DownCommand
{
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(60);

    public static Command Create()
    {
        var file = CommonOptions.File();
        var purge = new Option<bool>("--purge") { Description = "Also delete every Kubernetes object the mesh created (and the dev namespace it created, when nothing else is in it)" };
        var command = new Command("down", "Stop the mesh and every service it launched") { file, purge };
        command.SetAction(async (parse, ct) =>
        {
            var path = Path.GetFullPath(parse.GetValue(file)!);
            var state = StateDirectory.For(path);
            if (!File.Exists(path) && !Directory.Exists(state.Root))
            {
                // Neither a manifest nor anything a mesh left here: most likely the wrong folder.
                return CommonOptions.Fail(RunningDaemon.NoneRunning(path));
            }

            var info = DaemonInfo.TryRead(state.DaemonFile);
            var stoppedDaemon = false;
            if (info is { IsAlive: true })
            {
                using (var client = ControlClient.TryConnect(path, out _))
                {
                    try
                    {
                        await client!.ShutdownAsync(ct);
                    }
                    catch (RpcException)
                    {
                        // Unreachable or refusing control API: fall through to waiting, then killing.
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

            // Whatever a killed daemon left behind: its cgroup, processes with the mesh's id in their environment (always
            // searched: it finds what escaped a cgroup, or had none), process groups recorded in .meshdev/pids,
            // containers with the mesh's label.
            var orphans = await ProcessRuntime.KillOrphansAsync(state.Root, cancellationToken: ct);
            var (containers, dockerProblem) = await RemoveContainersAsync(path, state, ct);
            var (kubernetes, kubernetesProblem) = await KubernetesDown.RunAsync(path, state, parse.GetValue(purge), ct);
            if (File.Exists(state.DaemonFile))
            {
                File.Delete(state.DaemonFile);
            }

            var leftovers = new List<string>();
            if (orphans > 0)
            {
                leftovers.Add($"{Plural.Of(orphans, "leftover process")}");
            }

            if (containers > 0)
            {
                leftovers.Add($"{Plural.Of(containers, "leftover container")}");
            }

            var also = leftovers.Count == 0 ? "" : $"; {(stoppedDaemon ? "also " : "")}removed {string.Join(" and ", leftovers)}";
            Console.WriteLine(stoppedDaemon ? $"mesh stopped ({path}){also}" : $"no mesh was running for {path}{also}");
            if (kubernetes is not null)
            {
                Console.WriteLine(kubernetes);
            }

            var problem = dockerProblem ?? kubernetesProblem;
            return problem is null ? ExitCodes.Ok : CommonOptions.Fail(problem);
        });
        return command;
    }

    /// <summary>
    /// Removes the containers carrying this mesh's label. Asks the engine only when the manifest has containers (or
    /// cannot be read, so nobody knows); an unreachable engine is then a problem worth one sentence.
    /// </summary>
    private static async Task<(int Removed, string? Problem)> RemoveContainersAsync(string manifestPath, StateDirectory state, CancellationToken cancellationToken)
    {
        bool? usesDocker;
        try
        {
            usesDocker = ManifestLoader.Load(manifestPath).Services.Any(s => s.Runtime == RuntimeKind.Docker);
        }
        catch (Exception e) when (e is ManifestException or IOException)
        {
            usesDocker = Directory.Exists(state.Root) ? null : false;
        }

        if (usesDocker == false)
        {
            return (0, null);
        }

        try
        {
            return (await MeshContainers.RemoveAllAsync(MeshIdentity.For(state.Root), cancellationToken), null);
        }
        catch (LaunchException e)
        {
            // With a manifest that cannot be read, no engine most likely means no containers were ever launched.
            return (0, usesDocker == true ? $"could not remove this mesh's containers: {e.Message}" : null);
        }
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
