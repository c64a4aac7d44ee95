using System.Diagnostics;
using System.Globalization;
using Docker.DotNet;
using Docker.DotNet.Models;
using MeshDev.Catalog;
using MeshDev.Discovery;
using MeshDev.Docker;
using MeshDev.Runtime;

namespace MeshDev.DockerBench;

/// <summary>
/// One direct round, in ms after the create call was sent: create returned, start returned, the port first accepted a
/// connection, first 200 on <c>GET /</c>.
/// </summary>
internal sealed record DirectRound(double TotalMs, double CreatedMs, double StartedMs, double AcceptedMs, int Polls);

/// <summary>
/// The container's own create-to-first-response time, without the mesh: the engine is asked for the container the mesh
/// would create for the service (same image, host network, environment, labels, stop timeout, no-new-privileges; see
/// src/MeshDev.Docker/ContainerDefinition.cs) through the same Docker.DotNet client settings, it is started, and
/// the port is polled about every millisecond, each attempt on a fresh connection (a TCP connect, then <c>GET /</c> once
/// one is accepted; see <see cref="FirstResponsePoller"/>), from the moment the start call returns. Then it is removed (forced).
/// </summary>
internal sealed class DirectBench(DockerClient client, MeshManifest manifest, ServiceSpec service, string image, string runId)
{
    private static readonly TimeSpan RoundTimeout = TimeSpan.FromSeconds(60);

    private readonly IReadOnlyDictionary<string, string> _discovery = DiscoveryEnvironment.ForLaunch(DiscoveryEnvironment.ForMesh(manifest), manifest, service);

    public async Task<DirectRound> RunAsync(CancellationToken cancellationToken)
    {
        var port = Ports.GetFreePort();
        var parameters = Parameters(port);
        using var poller = new FirstResponsePoller(port, RoundTimeout, cancellationToken);
        string? id = null;
        try
        {
            var sent = Stopwatch.GetTimestamp();
            var created = await client.Containers.CreateContainerAsync(parameters, cancellationToken).ConfigureAwait(false);
            id = created.ID;
            var createdAt = Stopwatch.GetTimestamp();
            await client.Containers.StartContainerAsync(id, new ContainerStartParameters(), cancellationToken).ConfigureAwait(false);
            var startedAt = Stopwatch.GetTimestamp();

            // Like the mesh's probes, from the moment the start call returns: before that nothing can listen, and a 1 ms
            // loop of refused connects would only take CPU from the engine while it creates and starts the container.
            poller.Go();
            (long AcceptedAt, long At, int Polls) first;
            try
            {
                first = await poller.FirstOk.ConfigureAwait(false);
            }
            catch (BenchException e)
            {
                throw new BenchException($"direct round: {e.Message} (container {await DescribeAsync(id).ConfigureAwait(false)})", e);
            }

            return new DirectRound(Ms(sent, first.At), Ms(sent, createdAt), Ms(sent, startedAt), Ms(sent, first.AcceptedAt), first.Polls);
        }
        catch (DockerApiException e)
        {
            throw new BenchException($"direct round: the engine refused: {e.Message}", e);
        }
        finally
        {
            if (id is not null)
            {
                await RemoveAsync(client, id).ConfigureAwait(false);
            }
        }
    }

    /// <summary>What src/MeshDev.Docker's ContainerDefinition builds for this service (host network, no command or args of its own).</summary>
    public CreateContainerParameters Parameters(int port) => new()
    {
        Name = $"meshdev-bench-{runId}-direct",
        Image = image,
        Env = [.. _discovery.Select(e => $"{e.Key}={e.Value}"), $"PORT={port.ToString(CultureInfo.InvariantCulture)}"],
        Labels = new Dictionary<string, string>
        {
            // The bench's own label instead of the mesh's: the mesh never sees these containers, the bench removes them.
            [BenchLabels.Run] = runId,
            [ContainerLabels.Service] = service.Name,
            [ContainerLabels.Owner] = Environment.UserName,
            [ContainerLabels.Manifest] = manifest.FilePath,
            [ContainerLabels.Config] = "direct",
            [ContainerLabels.HostPort] = port.ToString(CultureInfo.InvariantCulture),
        },
        StopTimeout = TimeSpan.FromSeconds(Math.Ceiling(service.StopGracePeriod.TotalSeconds)),
        HostConfig = new HostConfig
        {
            NetworkMode = "host",
            Privileged = false,
            SecurityOpt = ["no-new-privileges:true"],
        },
    };

    private async Task<string> DescribeAsync(string id)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var inspected = await client.Containers.InspectContainerAsync(id, timeout.Token).ConfigureAwait(false);
            return $"{id[..12]} is {inspected.State.Status}, exit code {inspected.State.ExitCode}";
        }
        catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException or OperationCanceledException)
        {
            return $"{id[..12]}: inspect failed: {e.Message}";
        }
    }

    /// <summary>Removes a container (SIGKILL when running); outside the measurement, and also when the round was cancelled.</summary>
    public static async Task RemoveAsync(DockerClient client, string id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await client.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, timeout.Token).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
        }
    }

    private static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
}
