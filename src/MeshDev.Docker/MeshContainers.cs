using Docker.DotNet;
using Docker.DotNet.Models;

namespace MeshDev.Docker;

/// <summary>The containers of one mesh, found by its label: what <c>meshdev down</c> removes, also after the daemon was killed.</summary>
public static class MeshContainers
{
    /// <summary>The containers (running or not) carrying <paramref name="meshId"/>'s label.</summary>
    public static async Task<IList<ContainerListResponse>> ListAsync(DockerClient client, string meshId, CancellationToken cancellationToken) =>
        await client.Containers.ListContainersAsync(
            new ContainersListParameters { All = true, Filters = ContainerLabels.Filter(meshId) }, cancellationToken).ConfigureAwait(false);

    /// <summary>Removes (forcibly: SIGKILL when running) every container of the mesh; returns how many there were.</summary>
    public static async Task<int> RemoveAllAsync(DockerClient client, string meshId, CancellationToken cancellationToken)
    {
        var containers = await ListAsync(client, meshId, cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(containers.Select(c => RemoveAsync(client, c.ID, cancellationToken))).ConfigureAwait(false);
        return containers.Count;
    }

    /// <summary>Removes one container (killing it if it runs) with its anonymous volumes; one already gone is fine.</summary>
    internal static async Task RemoveAsync(DockerClient client, string id, CancellationToken cancellationToken)
    {
        try
        {
            await client.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
        }
    }

    /// <summary>For <c>meshdev down</c> without a daemon: connects to the engine and removes the mesh's containers.</summary>
    public static async Task<int> RemoveAllAsync(string meshId, CancellationToken cancellationToken)
    {
        using var engine = new DockerEngine();
        var client = await engine.ConnectAsync(cancellationToken).ConfigureAwait(false);
        return await RemoveAllAsync(client, meshId, cancellationToken).ConfigureAwait(false);
    }
}
