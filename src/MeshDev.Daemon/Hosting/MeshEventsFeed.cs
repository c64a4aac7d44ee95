using MeshDev.Activation;
using Microsoft.Extensions.Hosting;

namespace MeshDev.Daemon.Hosting;

/// <summary>
/// The link from the activators to the watchers: while started, every state change is published to
/// <see cref="MeshEvents"/> (control API, dashboard) and handed to <see cref="MeshHostOptions.OnStateChange"/> (the
/// foreground <c>meshdev up</c> lines, tests). Started before any instance is adopted, so no change is missed.
/// </summary>
public sealed class MeshEventsFeed : IHostedService
{
    private readonly MeshActivator _activator;
    private readonly MeshEvents _events;
    private readonly Action<ServiceStateChange>? _onStateChange;

    public MeshEventsFeed(MeshActivator activator, MeshEvents events, Action<ServiceStateChange>? onStateChange = null)
    {
        _activator = activator;
        _events = events;
        _onStateChange = onStateChange;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var service in _activator.Services)
        {
            service.StateChanged += OnStateChanged;
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var service in _activator.Services)
        {
            service.StateChanged -= OnStateChanged;
        }

        return Task.CompletedTask;
    }

    private void OnStateChanged(ServiceStateChange change)
    {
        _events.Publish(change);
        _onStateChange?.Invoke(change);
    }
}
