using MeshDev.Daemon.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace MeshDev.Daemon.Control;

/// <summary>
/// The daemon's control API: gRPC (<c>proto/meshdev/v1/control.proto</c>) on a loopback port picked at start that
/// speaks HTTP/1.1 and h2c, so gRPC clients and browsers share it. Every call needs the token from <c>daemon.json</c>.
/// </summary>
public static class ControlApi
{
    /// <param name="host">The mesh whose application this is: calls arrive only after it has started listening.</param>
    public static IServiceCollection AddControlApi(this IServiceCollection services, MeshHost host)
    {
        services.AddSingleton(host);
        services.AddGrpc().AddServiceOptions<ControlService>(o => o.Interceptors.Add<ControlTokenInterceptor>());
        return services;
    }

    /// <summary>Maps the control API onto the control port. Call after the proxy (it adds routing) and before start.</summary>
    public static void MapControlApi(this WebApplication app, MeshHost host)
    {
        app.UseControlPortSeparation(host);
        app.MapGrpcService<ControlService>().OnControlPort();
    }
}
