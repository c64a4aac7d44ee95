using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MeshDev.Testing;

/// <summary>
/// An in-process Kestrel server for tests (stand-ins, targets, the ADS server): on 127.0.0.1, on port 0 so the OS picks a
/// free port at bind time (two tests never race for one), without log providers; its port is read once it started.
/// </summary>
internal static class LoopbackKestrel
{
    /// <summary>
    /// A slim builder whose Kestrel listens on 127.0.0.1 port 0, speaking <paramref name="protocols"/> when given (else
    /// Kestrel's default), with logging off.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(HttpProtocols? protocols = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (protocols is { } chosen)
            {
                listen.Protocols = chosen;
            }
        }));
        builder.Logging.ClearProviders();
        return builder;
    }

    /// <summary>Starts <paramref name="app"/> and returns the port the OS gave its one listener.</summary>
    public static async Task<int> StartAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new Uri(address).Port;
    }
}
