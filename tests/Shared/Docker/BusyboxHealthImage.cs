using Docker.DotNet;

namespace MeshDev.Testing.Docker;

/// <summary>
/// <c>meshdev-test/busybox-health:{hash}</c>: the busybox image with a Docker HEALTHCHECK, built by the engine's build API.
/// httpd starts only after <see cref="StartDelaySeconds"/> (START_DELAY_S overrides it), so the container is first
/// <c>starting</c>, then <c>healthy</c> once httpd answers on 127.0.0.1:$PORT.
/// </summary>
internal static class BusyboxHealthImage
{
    /// <summary>Seconds between container start and httpd listening, unless START_DELAY_S says otherwise.</summary>
    public const int StartDelaySeconds = 1;

    /// <summary>Builds the image FROM <paramref name="busybox"/> unless it is there already; returns its reference.</summary>
    public static async Task<string> EnsureAsync(DockerClient docker, string busybox, CancellationToken cancellationToken)
    {
        // A short interval keeps the health test quick: the engine's own timer decides when the status changes.
        var dockerfile = $$"""
            FROM {{busybox}}
            ENV START_DELAY_S={{StartDelaySeconds}}
            HEALTHCHECK --interval=1s --timeout=2s --start-period=30s --retries=3 CMD wget -q -O /dev/null "http://127.0.0.1:${PORT:-{{BusyboxImage.DefaultPort}}}/" || exit 1
            CMD ["sh", "-c", "sleep \"$START_DELAY_S\"; exec httpd -f -v -p \"127.0.0.1:${PORT:-{{BusyboxImage.DefaultPort}}}\" -h /www"]

            """;
        var context = new RootfsTarball().File("Dockerfile", dockerfile);
        var reference = ImageTags.Reference("busybox-health", context.ContentHash());
        if (!await LocalImages.ExistsAsync(docker, reference, cancellationToken))
        {
            await LocalImages.BuildAsync(docker, reference, context.ToArray(), cancellationToken);
        }

        return reference;
    }
}
