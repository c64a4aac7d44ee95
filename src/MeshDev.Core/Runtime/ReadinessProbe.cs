using MeshDev.Catalog;

namespace MeshDev.Runtime;

/// <summary>Builds the probe a service's <c>ready:</c> setting asks for.</summary>
public static class ReadinessProbe
{
    /// <summary>How long one probe attempt may take; a slower answer counts as "not ready yet".</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(1);

    public static IReadinessProbe For(ReadyProbeSpec spec) => spec.Kind switch
    {
        ReadyKind.Http => new HttpReadinessProbe(spec.HttpPath ?? "/"),
        ReadyKind.Grpc => new GrpcHealthProbe(spec.GrpcService),
        _ => TcpReadinessProbe.Instance,
    };
}
