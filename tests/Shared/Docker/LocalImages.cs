using Docker.DotNet;
using Docker.DotNet.Models;

namespace MeshDev.Testing.Docker;

/// <summary>The engine calls that put a locally made image into Docker: <c>docker import</c> of a rootfs and <c>docker build</c> of a context.</summary>
internal static class LocalImages
{
    /// <summary>True when the engine has an image named <paramref name="reference"/>.</summary>
    public static async Task<bool> ExistsAsync(DockerClient docker, string reference, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Images.InspectImageAsync(reference, cancellationToken);
            return true;
        }
        catch (DockerImageNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// <c>docker import - {reference}</c> of <paramref name="rootfs"/>, with Dockerfile <paramref name="changes"/> (CMD, ENTRYPOINT,
    /// ENV, LABEL…) applied to the image config, as <c>docker import --change</c> does.
    /// </summary>
    public static async Task ImportAsync(DockerClient docker, string reference, byte[] rootfs, IReadOnlyList<string> changes, CancellationToken cancellationToken)
    {
        var (repository, tag) = Split(reference);
        var messages = new EngineMessages();
        using var content = new MemoryStream(rootfs, writable: false);
        await docker.Images.CreateImageAsync(
            new ImagesCreateParameters { FromSrc = "-", Repo = repository, Tag = tag, Changes = [.. changes] },
            content,
            authConfig: null,
            messages,
            cancellationToken);
        await EnsureCreatedAsync(docker, reference, "docker import", messages, cancellationToken);
    }

    /// <summary><c>docker build -t {reference}</c> of a build context (a tar holding the <c>Dockerfile</c>), with the classic builder.</summary>
    public static async Task BuildAsync(DockerClient docker, string reference, byte[] context, CancellationToken cancellationToken)
    {
        var messages = new EngineMessages();
        using var content = new MemoryStream(context, writable: false);
        await docker.Images.BuildImageFromDockerfileAsync(
            new ImageBuildParameters { Tags = [reference], Remove = true, ForceRemove = true },
            content,
            authConfigs: null,
            headers: null,
            messages,
            cancellationToken);
        await EnsureCreatedAsync(docker, reference, "docker build", messages, cancellationToken);
    }

    /// <summary>Splits <c>repository:tag</c> at the last colon after the last slash (a registry host may carry a port).</summary>
    public static (string Repository, string Tag) Split(string reference)
    {
        var colon = reference.LastIndexOf(':');
        return colon > reference.LastIndexOf('/') ? (reference[..colon], reference[(colon + 1)..]) : (reference, "latest");
    }

    // The engine reports a failed import or build step inside the 200 response's JSON stream, not as an HTTP error.
    private static async Task EnsureCreatedAsync(DockerClient docker, string reference, string what, EngineMessages messages, CancellationToken cancellationToken)
    {
        if (messages.Error is not null || !await ExistsAsync(docker, reference, cancellationToken))
        {
            throw new InvalidOperationException(
                $"{what} of {reference} failed: {messages.Error ?? "the engine reported success, but the image is not there"}{Environment.NewLine}{messages.Text}");
        }
    }
}
