using Docker.DotNet;
using MeshDev.Catalog;
using MeshDev.Docker;
using MeshDev.Runtime;
using MeshDev.Text;
using static MeshDev.Cli.Commands.DoctorCommand;

namespace MeshDev.Cli.Commands;

/// <summary>
/// What the manifest's containers need from a reachable engine: a bridge network for <c>network: bridge</c> services, and
/// every <c>pull: never</c> image already built. Both would otherwise fail only at a launch.
/// </summary>
internal static class DoctorEngineNeeds
{
    public static async Task<IReadOnlyList<Check>> RunAsync(MeshManifest? manifest, CancellationToken cancellationToken)
    {
        var containers = manifest?.Services.Where(s => s.Container is not null).ToList() ?? [];
        if (containers.Count == 0)
        {
            return [];
        }

        using var engine = new DockerEngine();
        DockerClient client;
        try
        {
            client = await engine.ConnectAsync(cancellationToken);
        }
        catch (LaunchException)
        {
            // The docker engine check already says what to do.
            return [];
        }

        return
        [
            await BridgeNetworkAsync(client, containers, cancellationToken),
            await LocalImagesAsync(client, containers, cancellationToken),
        ];
    }

    private static async Task<Check> BridgeNetworkAsync(DockerClient client, List<ServiceSpec> containers, CancellationToken cancellationToken)
    {
        var bridged = containers.Where(s => s.Container!.Network == ContainerNetwork.Bridge).Select(s => s.Name).ToList();
        if (bridged.Count == 0)
        {
            return new Check("bridge network", true, false, "not needed: no service has network: bridge");
        }

        var names = string.Join(", ", bridged);
        return await EngineChecks.HasBridgeNetworkAsync(client, cancellationToken)
            ? new Check("bridge network", true, true, $"the engine has one ({names} use it)")
            : new Check(
                "bridge network",
                false,
                true,
                $"{names} {(bridged.Count == 1 ? "has" : "have")} network: bridge but the engine has no bridge network (it runs with --bridge=none); " +
                "set 'network: host' on them (the mesh reaches them on 127.0.0.1), or start dockerd without --bridge=none");
    }

    private static async Task<Check> LocalImagesAsync(DockerClient client, List<ServiceSpec> containers, CancellationToken cancellationToken)
    {
        var local = containers.Where(s => s.Container!.Pull == PullPolicy.Never).ToList();
        if (local.Count == 0)
        {
            return new Check("local images", true, false, "not needed: no service has pull: never");
        }

        var images = local.Select(s => s.Container!.Image).Distinct(StringComparer.Ordinal).ToList();
        var missing = new List<string>();
        foreach (var image in images)
        {
            if (!await EngineChecks.HasImageAsync(client, image, cancellationToken))
            {
                missing.Add($"{image} of {string.Join(", ", local.Where(s => s.Container!.Image == image).Select(s => s.Name))} is missing; {EngineChecks.BuildFix(image)}");
            }
        }

        return missing.Count == 0
            ? new Check("local images", true, true, $"{string.Join(", ", images)} present ({Plural.Of(images.Count, "image")} with pull: never)")
            : new Check("local images", false, true, string.Join("; ", missing));
    }
}
