using MeshDev.Runtime;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace MeshDev.Proxy.Routing;

/// <summary>
/// What the mesh decided for a request: the ready instance to send it to, as YARP's destination list. One object per
/// instance address, shared by all requests to it (see <see cref="ActivatedDestinations"/>), so a request allocates none.
/// </summary>
public sealed class MeshRequestFeature(ServiceEndpoint endpoint)
{
    public ServiceEndpoint Endpoint { get; } = endpoint;

    public IReadOnlyList<DestinationState> Destinations { get; } =
        [new DestinationState(endpoint.ToString(), new DestinationModel(new DestinationConfig { Address = endpoint.HttpUri.ToString() }))];
}
