using MeshDev.Runtime;

namespace MeshDev.Activation;

/// <summary>
/// Held while a request, stream or connection to a service is open; a service with an open lease is never
/// stopped for idleness. Dispose exactly once.
/// </summary>
public readonly struct ActivityLease : IDisposable
{
    private readonly ServiceActivator? _owner;

    internal ActivityLease(ServiceActivator owner, ServiceEndpoint endpoint)
    {
        _owner = owner;
        Endpoint = endpoint;
    }

    /// <summary>Where to send the traffic.</summary>
    public ServiceEndpoint Endpoint { get; }

    public void Dispose() => _owner?.Release();
}
