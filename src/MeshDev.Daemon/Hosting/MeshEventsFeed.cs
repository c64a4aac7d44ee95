using MeshDev.Activation;
using Microsoft.Extensions.Hosting;

namespace MeshDev.Daemon.Hosting;

/// <summary>
/// The link from the activators to the watchers: while started, every state change is published to
/// <see cref="MeshEvents"/> (control API, dashboard) and handed to <see cref="MeshHostOptions.OnStateChange"/> (the
/// foreground <c>meshdev up</c> lines, tests). Started before any instance is adopted, so no change is missed.
/// </summary>
public sealed class MeshEventsFeed(MeshActivator activator, MeshEvents events, Action<ServiceStateChange>? onStateChange = null) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        activator.SubscribeAll(OnStateChanged);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        activator.UnsubscribeAll(OnStateChanged);
        return Task.CompletedTask;
    }

    private void OnStateChanged(ServiceStateChange change)
    {
        events.Publish(change);
        onStateChange?.Invoke(change);
    }
}
