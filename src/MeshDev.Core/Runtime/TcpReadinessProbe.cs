using System.Net;

namespace MeshDev.Runtime;

/// <summary>Ready once a TCP connect succeeds.</summary>
public sealed class TcpReadinessProbe : IReadinessProbe
{
    public static readonly TcpReadinessProbe Instance = new();

    public ValueTask<bool> ProbeAsync(ServiceEndpoint endpoint, CancellationToken cancellationToken)
    {
        EndPoint target = IPAddress.TryParse(endpoint.Host, out var address)
            ? new IPEndPoint(address, endpoint.Port)
            : new DnsEndPoint(endpoint.Host, endpoint.Port);
        return Ports.TryConnectAsync(target, ReadinessProbe.AttemptTimeout, cancellationToken);
    }

    public override string ToString() => "tcp";
}
