using System.Net;
using System.Text;
using MeshDev.Activation;
using MeshDev.Calls;
using MeshDev.Catalog;
using MeshDev.Proxy.Listeners;
using MeshDev.Routing;
using MeshDev.Runtime;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MeshDev.Daemon.Hosting;

/// <summary>
/// Every port a mesh listens on, all on 127.0.0.1, configured in one place: the shared port and one mesh port per
/// service (the routing table's listeners, served by the proxy), the xDS port (the ADS server) and the control port
/// (control API and dashboard, picked by the OS).
/// </summary>
/// <param name="exportingTraces">The mesh makes a span per forwarded request, which only the HTTP path does.</param>
public sealed class MeshListeners(MeshManifest manifest, RoutingTable routing, MeshActivator activator, CallerTracker callers, bool exportingTraces)
{
    private ListenOptions? _control;

    /// <summary>The port of the control API once Kestrel has bound it (the OS picks it at start).</summary>
    public int ControlPort => _control?.IPEndPoint is { Port: > 0 } bound
        ? bound.Port
        : throw new InvalidOperationException("the control port is known once the mesh has started listening");

    /// <summary>Every fixed port the mesh of <paramref name="manifest"/> listens on (all but the control port), and what it is.</summary>
    public static IReadOnlyList<(int Port, string Description)> FixedPorts(MeshManifest manifest) =>
    [
        (manifest.Mesh.HttpPort, $"shared port {manifest.Mesh.HttpPort} (mesh.http)"),
        (manifest.Mesh.XdsPort, $"xDS port {manifest.Mesh.XdsPort} (mesh.xds)"),
        .. manifest.Services.Select(s => (s.MeshPort, $"mesh port {s.MeshPort} of service '{s.Name}' (meshPort)")),
    ];

    /// <summary>The mesh ports of <c>protocol: tcp</c> services, each relayed by a <see cref="TcpServiceProxy"/> of its own.</summary>
    public IReadOnlyList<TcpServiceProxy> TcpProxies(ILogger logger) =>
        [.. routing.Current.Listeners
            .Where(l => l.Protocol == ServiceProtocol.Tcp)
            .Select(l => new TcpServiceProxy(l.Port, activator.Find(l.Service!)!, callers, logger))];

    /// <summary>Adds every listener to Kestrel (called once, when Kestrel's options are built).</summary>
    public void Configure(KestrelServerOptions kestrel)
    {
        kestrel.AddServerHeader = false;
        kestrel.AllowAlternateSchemes = true; // see H2cPriorKnowledge
        // Header values pass through byte for byte, as with the service called directly: Latin-1 maps every byte to
        // one char and back (the mesh's client does the same, ServiceHttpClient). Kestrel's default refuses to write
        // a non-ASCII response header, and HttpClient's to send a non-ASCII request header: both were 502s.
        kestrel.RequestHeaderEncodingSelector = static _ => Encoding.Latin1;
        kestrel.ResponseHeaderEncodingSelector = static _ => Encoding.Latin1;
        // The shared port and the mesh ports: HTTP/1.1 and h2c on one port. The mesh ports of protocol: tcp services
        // are not Kestrel's: see TcpPorts.
        foreach (var listener in routing.Current.Listeners)
        {
            if (listener.Protocol == ServiceProtocol.Tcp)
            {
                continue;
            }

            // A gRPC service's own mesh port relays h2c connections while it is ready (GrpcRelayEndPoint); the rest,
            // and every other port, are Kestrel's sockets.
            var service = listener.Service is { } name ? activator.Find(name) : null;
            if (service is not null && GrpcRelayEndPoint.Suits(service.Service, exportingTraces))
            {
                kestrel.Listen(new GrpcRelayEndPoint(listener.Port, service, callers), listen => listen.UseH2cPriorKnowledge().UseCallerTracking(callers));
            }
            else
            {
                kestrel.Listen(IPAddress.Loopback, listener.Port, listen => listen.UseH2cPriorKnowledge().UseCallerTracking(callers));
            }
        }

        // ADS (gRPC): h2c only, so any HTTP/2 client (Envoy, grpc-js-xds, grpc-go) connects with prior knowledge.
        kestrel.Listen(IPAddress.Loopback, manifest.Mesh.XdsPort, listen => listen.Protocols = HttpProtocols.Http2);

        // Control API (gRPC over h2c) and browser pages (HTTP/1.1) on one port, picked by the OS; Kestrel writes the
        // bound port back into these options.
        kestrel.Listen(IPAddress.Loopback, 0, listen => _control = listen.UseH2cPriorKnowledge());
    }
}
