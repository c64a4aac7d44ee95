using MeshDev.Daemon.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Daemon.Control;

/// <summary>
/// Marks an endpoint that belongs to the control port (the control API; a dashboard). The control port serves only
/// those, and no other port serves them: mesh ports and the shared port are the proxy's (a request there is forwarded
/// to a service, never to the control API), the xDS port is the ADS server's.
/// </summary>
public sealed class ControlPortEndpoint
{
    public static readonly ControlPortEndpoint Instance = new();

    private ControlPortEndpoint()
    {
    }
}

/// <summary>Mapping endpoints onto the control port, and keeping every other endpoint off it.</summary>
public static class ControlPortEndpoints
{
    /// <summary>Serves these endpoints on the control port, and only there.</summary>
    public static TBuilder OnControlPort<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(ControlPortEndpoint.Instance);

    /// <summary>
    /// Drops the matched endpoint when it does not belong to the port the request came in on (the answer is then a
    /// 404). Add after routing (<c>UseRouting</c>) and before the endpoints run. Mesh-port requests never get here: the
    /// mesh's own middleware runs them through their route's proxy pipeline itself.
    /// </summary>
    public static void UseControlPortSeparation(this WebApplication app, MeshHost host) => app.Use((context, next) =>
    {
        if (context.GetEndpoint() is { } endpoint
            && (context.Connection.LocalPort == host.ControlPort) != (endpoint.Metadata.GetMetadata<ControlPortEndpoint>() is not null))
        {
            context.SetEndpoint(null);
        }

        return next(context);
    });
}
