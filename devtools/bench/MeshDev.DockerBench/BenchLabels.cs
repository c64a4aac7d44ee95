using Docker.DotNet;
using Docker.DotNet.Models;
using MeshDev.Docker;

namespace MeshDev.DockerBench;

/// <summary>
/// How the bench finds every container it caused: its own label on the direct containers, the mesh's label (its id) on
/// the mesh's. Both are also written to a file in the scratch directory, so run-docker.sh can remove what a killed bench left.
/// </summary>
internal static class BenchLabels
{
    /// <summary>The label on the bench's direct containers; the value is the run's id.</summary>
    public const string Run = "dev.meshdev.bench";

    /// <summary>The <c>docker ps --filter label=…</c> values of everything this run may create.</summary>
    public static string[] Filters(string runId, string meshId) => [$"{Run}={runId}", $"{ContainerLabels.Mesh}={meshId}"];

    /// <summary>Writes <see cref="Filters"/>, one a line, for run-docker.sh.</summary>
    public static Task WriteAsync(string path, string runId, string meshId) =>
        File.WriteAllLinesAsync(path, Filters(runId, meshId), CancellationToken.None);

    /// <summary>Removes (forced) every container carrying one of the labels; returns how many there were.</summary>
    public static async Task<int> RemoveAllAsync(DockerClient client, string runId, string meshId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var removed = 0;
        foreach (var filter in Filters(runId, meshId))
        {
            var containers = await client.Containers.ListContainersAsync(
                new ContainersListParameters
                {
                    All = true,
                    Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [filter] = true } },
                },
                timeout.Token).ConfigureAwait(false);
            foreach (var container in containers)
            {
                await DirectBench.RemoveAsync(client, container.ID).ConfigureAwait(false);
                removed++;
            }
        }

        return removed;
    }
}
