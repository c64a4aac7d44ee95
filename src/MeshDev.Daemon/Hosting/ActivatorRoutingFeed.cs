using System.Collections.Immutable;
using MeshDev.Activation;
using MeshDev.Routing;
using MeshDev.Runtime;
using Microsoft.Extensions.Hosting;

namespace MeshDev.Daemon.Hosting;

/// <summary>
/// The link from the activators to the routing table: while started, every state change of a service points its
/// cluster at the instance's address while it has one (ready, external), and back at the activator (no endpoints)
/// otherwise. The table's <see cref="RoutingTable.Changed"/> then feeds xDS.
/// </summary>
public sealed class ActivatorRoutingFeed(MeshActivator activator, RoutingTable routing) : IHostedService
{
    // One writer at a time reads an activator's endpoint and writes it: the catch-up at start and a change being
    // delivered cannot then write an older endpoint over a newer one.
    private readonly Lock _gate = new();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        activator.SubscribeAll(OnStateChanged);
        foreach (var service in activator.Services)
        {
            Follow(service); // a change delivered before we subscribed
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        activator.UnsubscribeAll(OnStateChanged);
        return Task.CompletedTask;
    }

    private void OnStateChanged(ServiceStateChange change)
    {
        if (activator.Find(change.Service) is { } service)
        {
            Follow(service);
        }
    }

    // The activator's endpoint now, not the one at the time of the change: a later change is still queued behind it.
    private void Follow(ServiceActivator service)
    {
        lock (_gate)
        {
            routing.SetEndpoints(service.Service.Name, service.Endpoint is { } e ? [e] : ImmutableArray<ServiceEndpoint>.Empty);
        }
    }
}
