using MeshDev.Calls;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace MeshDev.Proxy.Listeners;

/// <summary>
/// Gives every connection of a mesh listener its <see cref="CallerConnection"/> (a connection feature, which the
/// connection's requests see too), so the call graph learns who calls: looked up once per connection, in the background.
/// </summary>
public static class CallerTracking
{
    public static ListenOptions UseCallerTracking(this ListenOptions listen, CallerTracker tracker)
    {
        listen.Use(next => connection =>
        {
            connection.Features.Set(tracker.Track(connection.RemoteEndPoint, connection.LocalEndPoint));
            return next(connection);
        });
        return listen;
    }
}
