using MeshDev.Activation;
using MeshDev.Text;
using Microsoft.Extensions.Hosting;

namespace MeshDev.Daemon.Hosting;

/// <summary>
/// The services' instances over the mesh's life: at start, before any listener opens, takes over the instances an
/// earlier run left running (containers outlive a killed daemon), so they are not launched twice; at stop, after the
/// listeners closed and while the feeds still follow, stops every instance this mesh launched.
/// </summary>
public sealed class ActivatorLifetime(MeshActivator activator, Action<string>? onMeshMessage = null) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var adopted = await activator.AdoptRunningAsync(cancellationToken).ConfigureAwait(false);
        if (adopted > 0)
        {
            onMeshMessage?.Invoke($"adopted {Plural.Of(adopted, "service instance")} left running by an earlier run of this mesh");
        }
    }

    // Not bounded by the host's shutdown timeout: a service left running would hold its port for the next mesh.
    public async Task StopAsync(CancellationToken cancellationToken) => await activator.DisposeAsync().ConfigureAwait(false);
}
