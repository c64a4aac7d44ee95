using Docker.DotNet;
using Docker.DotNet.Models;
using MeshDev.Docker;

namespace MeshDev.IntegrationTests.Docker;

/// <summary>What the engine has for a mesh, asked the way a person would with <c>docker ps -a --filter label=…</c>.</summary>
internal static class MeshContainerQueries
{
    public static async Task<IList<ContainerListResponse>> ContainersOfAsync(this DockerClient docker, string meshId, string? service = null) =>
        await docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = ContainerLabels.Filter(meshId, service) });

    /// <summary>The one container of <paramref name="service"/>, inspected; fails when there is none or more than one.</summary>
    public static async Task<ContainerInspectResponse> SingleContainerAsync(this DockerClient docker, string meshId, string service)
    {
        var containers = await docker.ContainersOfAsync(meshId, service);
        Assert.True(containers.Count == 1, $"expected one container of '{service}', found {containers.Count}: {string.Join(", ", containers.Select(c => $"{c.ID[..12]} {c.State}"))}");
        return await docker.Containers.InspectContainerAsync(containers[0].ID);
    }
}
