using Docker.DotNet;
using Docker.DotNet.Models;

namespace MeshDev.Docker;

/// <summary>What a manifest's containers need from the engine, asked the same way by a launch and by <c>meshdev doctor</c>.</summary>
public static class EngineChecks
{
    /// <summary>False for an engine started with <c>--bridge=none</c>, where a bridged container's port cannot be published.</summary>
    public static async Task<bool> HasBridgeNetworkAsync(DockerClient client, CancellationToken cancellationToken)
    {
        var networks = await client.Networks.ListNetworksAsync(
            new NetworksListParameters { Filters = new Dictionary<string, IDictionary<string, bool>> { ["name"] = new Dictionary<string, bool> { ["bridge"] = true } } },
            cancellationToken).ConfigureAwait(false);
        return networks.Any(n => n.Name == "bridge");
    }

    /// <summary>Whether the engine has <paramref name="image"/>.</summary>
    public static async Task<bool> HasImageAsync(DockerClient client, string image, CancellationToken cancellationToken) =>
        await ImageStore.TryInspectAsync(client, image, cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>
    /// The fix for a missing <c>pull: never</c> image: no registry has it (compose names what it builds
    /// <c>{project}-{service}</c>), so it is built here, not pulled.
    /// </summary>
    public static string BuildFix(string image) =>
        $"build it: docker build -t {image} <folder of its Dockerfile> (docker compose build for a service imported from compose)";
}
