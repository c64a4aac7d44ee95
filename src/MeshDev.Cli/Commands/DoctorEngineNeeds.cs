using Docker.DotNet;
using MeshDev.Catalog;
using MeshDev.Docker;
using MeshDev.Runtime;
using MeshDev.Text;
using static MeshDev.Cli.Commands.DoctorCommand;

namespace MeshDev.Cli.Commands;

/// <summary>
/// What the manifest's containers need from a reachable engine: a bridge network for <c>network: bridge</c> services, and
/// every <c>pull: never</c> image already built. Both would otherwise fail only at a launch. Also the images the first
/// call would pull, which would otherwise hold that call for the whole download without warning.
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

        List<Check> checks =
        [
            await BridgeNetworkAsync(client, containers, cancellationToken),
            await LocalImagesAsync(client, containers, cancellationToken),
        ];
        if (await ImagesToPullAsync(client, containers, cancellationToken) is { } toPull)
        {
            checks.Add(toPull);
        }

        return checks;
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

    /// <summary>
    /// The Docker services' images that are absent and that a launch pulls: the first call waits for the download, and
    /// an image only ever built here fails it with a registry's error. Null when every one is present.
    /// </summary>
    private static async Task<Check?> ImagesToPullAsync(DockerClient client, List<ServiceSpec> containers, CancellationToken cancellationToken)
    {
        var pulled = containers.Where(s => s.Runtime == RuntimeKind.Docker && s.Container!.Pull != PullPolicy.Never).ToList();
        var absent = new List<string>();
        foreach (var image in pulled.Select(s => s.Container!.Image).Distinct(StringComparer.Ordinal))
        {
            if (!await EngineChecks.HasImageAsync(client, image, cancellationToken))
            {
                var services = string.Join(", ", pulled.Where(s => s.Container!.Image == image).Select(s => s.Name));
                absent.Add($"{image} of {services} is not on this machine: the first call to {services} pulls it and waits for the download");
            }
        }

        return absent.Count == 0
            ? null
            : new Check(
                "images to pull",
                false,
                false,
                $"{string.Join("; ", absent)} (docker pull now to wait here instead); for an image built on this machine, set 'pull: never' and build it with docker build -t IMAGE <folder of its Dockerfile>");
    }
}
