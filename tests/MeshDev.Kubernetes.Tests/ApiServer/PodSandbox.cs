using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// What the kubelet made on this machine for one pod of <see cref="ImageBehaviour.Executes"/> images: its network
/// namespace and the container processes running in it. Stopping it ends them all — SIGTERM, then SIGKILL when the
/// grace period is over, then anything else still in the namespace — and deletes the namespace. Once stopping, it
/// starts nothing more.
/// </summary>
internal sealed class PodSandbox(PodNetwork network, TimeProvider time)
{
    private readonly Dictionary<string, ContainerProcess> _processes = new(StringComparer.Ordinal);
    private Task? _stopped;

    public PodNetwork Network { get; } = network;

    /// <summary>Starts a run of <paramref name="container"/>; null when the pod is being stopped.</summary>
    public ContainerProcess? Start(string container, ContainerCommand command, string executable, ContainerOutput output)
    {
        lock (_processes)
        {
            if (_stopped is not null)
            {
                return null;
            }

            var process = ContainerProcess.Start(Network, command, executable, output, time);
            _processes[container] = process;
            return process;
        }
    }

    /// <summary>
    /// Stops every container within <paramref name="grace"/> (cut short when <paramref name="hurry"/> is cancelled: the
    /// stand-in goes) and deletes the namespace. The first call decides; later ones wait for it.
    /// </summary>
    public Task StopAsync(TimeSpan grace, CancellationToken hurry)
    {
        lock (_processes)
        {
            return _stopped ??= StopNowAsync([.. _processes.Values], grace, hurry);
        }
    }

    private async Task StopNowAsync(IReadOnlyList<ContainerProcess> processes, TimeSpan grace, CancellationToken hurry)
    {
        // The kubelet signals the container's main process; its whole group here, since nothing in it forwards signals.
        foreach (var process in processes)
        {
            process.Signal(UnixProcess.SigTerm);
        }

        var exited = Task.WhenAll(processes.Select(p => p.Exited));
        if (grace > TimeSpan.Zero && !exited.IsCompleted)
        {
            try
            {
                await exited.WaitAsync(grace, time, hurry);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException)
            {
            }
        }

        foreach (var process in processes)
        {
            process.Signal(UnixProcess.SigKill);
        }

        // Whatever left its group (setsid, a daemon) is still in the pod's namespace: that is where it is found.
        await Network.DeleteAsync();
        await exited;
    }
}
