using MeshDev.Runtime;

namespace MeshDev.Activation;

/// <summary>
/// Held while a request, stream or connection to a service is open; a service with an open lease is never
/// stopped for idleness. Dispose exactly once.
/// </summary>
public readonly struct ActivityLease : IDisposable
{
    private readonly ServiceActivator? _owner;
    private readonly int _startSlot;

    internal ActivityLease(ServiceActivator owner, ServiceEndpoint endpoint, int startSlot)
    {
        _owner = owner;
        Endpoint = endpoint;
        _startSlot = startSlot;
    }

    /// <summary>Where to send the traffic.</summary>
    public ServiceEndpoint Endpoint { get; }

    public void Dispose() => _owner?.Release(_startSlot);
}
