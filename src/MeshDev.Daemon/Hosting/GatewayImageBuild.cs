using MeshDev.Catalog;
using MeshDev.Docker;
using MeshDev.Kubernetes.Objects;
using MeshDev.Runtime;

namespace MeshDev.Daemon.Hosting;

/// <summary>
/// Makes this meshdev's gateway image when the mesh starts with generated pods and no <c>mesh.kubernetes.gatewayImage</c>:
/// in the background, so <c>up</c> does not wait, reads the gateway beside the tool (its reference is a content hash),
/// then builds the image on the local engine unless the engine has it. The Kubernetes runtime awaits it at a launch.
/// </summary>
internal static class GatewayImageBuild
{
    /// <summary>A build is a few seconds; an engine that takes longer is stuck, and the launch should say so rather than wait.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private const string Docs = "docs/kubernetes.md, \"The gateway image\"";

    /// <summary>True when the mesh must make the gateway image itself.</summary>
    public static bool IsNeeded(MeshManifest manifest) =>
        manifest.Mesh.GatewayImage is null && manifest.Services.Any(s => s.Runtime == RuntimeKind.Kubernetes);

    /// <summary>Starts reading and building; <paramref name="message"/> gets the lines the developer should see.</summary>
    public static LocalGatewayImage Start(string binaryPath, Action<string> message, TimeProvider time)
    {
        var image = Task.Run(() => Read(binaryPath));
        return new LocalGatewayImage(ReferenceAsync(image), BuildAsync(image, message, time));
    }

    private static GatewayImage Read(string binaryPath)
    {
        try
        {
            return GatewayImage.FromBinary(binaryPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LaunchException($"the pods' gateway at {binaryPath} cannot be read ({e.Message}); reinstall meshdev, or set mesh.kubernetes.gatewayImage", e);
        }
    }

    private static async Task<string> ReferenceAsync(Task<GatewayImage> image) => (await image.ConfigureAwait(false)).DefaultReference;

    private static async Task<string?> BuildAsync(Task<GatewayImage> read, Action<string> message, TimeProvider time)
    {
        GatewayImage image;
        try
        {
            image = await read.ConfigureAwait(false);
        }
        catch (LaunchException e)
        {
            // Said once now, and again by every launch of a generated pod (through the reference, which fails the same way).
            message(e.Message);
            return e.Message;
        }

        var reference = image.DefaultReference;
        using var engine = new DockerEngine();
        using var timeout = new CancellationTokenSource(Timeout, time);
        try
        {
            var docker = await engine.ConnectAsync(timeout.Token).ConfigureAwait(false);
            if (await image.EnsureAsync(docker, reference, message, timeout.Token).ConfigureAwait(false))
            {
                message($"built the gateway image {reference}; a kind cluster needs it loaded: kind load docker-image {reference}");
            }

            return null;
        }
        catch (Exception e) when (e is LaunchException or OperationCanceledException)
        {
            var reason = e is OperationCanceledException ? $"the engine at {engine.Endpoint} did not build the gateway image within {Timeout.TotalMinutes:0} minutes" : e.Message;
            var warning = $"{reason}; without it, the gateway image {reference} must be loaded into the cluster or pushed to its registry by hand ({Docs})";
            message(warning);
            return warning;
        }
    }
}
