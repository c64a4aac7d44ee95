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
        // Exec and the image's HEALTHCHECK run inside the instance, which brings its own probe (IServiceInstance.Readiness);
        // an image without a HEALTHCHECK is ready when its port accepts.
        _ => TcpReadinessProbe.Instance,
    };

    /// <summary>
    /// Runs one HTTP-based probe attempt within <see cref="AttemptTimeout"/>: refused, failed or too slow counts as
    /// "not ready yet"; only the caller's own cancellation throws.
    /// </summary>
    internal static async ValueTask<bool> AttemptAsync(Func<CancellationToken, Task<bool>> attempt, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(AttemptTimeout);
        try
        {
            return await attempt(timeout.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
