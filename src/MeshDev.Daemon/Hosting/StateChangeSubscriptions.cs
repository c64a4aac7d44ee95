using MeshDev.Activation;

namespace MeshDev.Daemon.Hosting;

/// <summary>One observer of every service's state changes, for the feeds that follow all activators.</summary>
internal static class StateChangeSubscriptions
{
    public static void SubscribeAll(this MeshActivator activator, Action<ServiceStateChange> observer)
    {
        foreach (var service in activator.Services)
        {
            service.StateChanged += observer;
        }
    }

    public static void UnsubscribeAll(this MeshActivator activator, Action<ServiceStateChange> observer)
    {
        foreach (var service in activator.Services)
        {
            service.StateChanged -= observer;
        }
    }
}
