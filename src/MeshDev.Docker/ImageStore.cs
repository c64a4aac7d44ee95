using Docker.DotNet;
using Docker.DotNet.Models;
using MeshDev.Catalog;
using MeshDev.Runtime;

namespace MeshDev.Docker;

/// <summary>
/// Makes sure a service's image is on this machine, following its <c>pull</c> policy. A pull happens once for every
/// service and launch that needs the image at the same time (single flight, like launches), and its progress goes to
/// the logs of all of them.
/// </summary>
internal sealed class ImageStore(DockerEngine engine, TimeProvider time, CancellationToken lifetime)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Pull> _pulls = new(StringComparer.Ordinal);

    /// <summary>How many pulls were started (joined ones not counted).</summary>
    public int PullCount { get; private set; }

    /// <summary>The image as the engine has it (id, HEALTHCHECK…), pulled first when the policy says so.</summary>
    public async Task<ImageInspectResponse> EnsureAsync(ContainerSpec container, ServiceLog log, CancellationToken cancellationToken)
    {
        var client = await engine.ConnectAsync(cancellationToken).ConfigureAwait(false);
        if (container.Pull != PullPolicy.Always && await TryInspectAsync(client, container.Image, cancellationToken).ConfigureAwait(false) is { } present)
        {
            return present;
        }

        if (container.Pull == PullPolicy.Never)
        {
            throw new LaunchException($"image '{container.Image}' is not on this machine and 'pull' is never; {EngineChecks.BuildFix(container.Image)}");
        }

        await JoinPullAsync(client, container.Image, log).WaitAsync(cancellationToken).ConfigureAwait(false);
        return await TryInspectAsync(client, container.Image, cancellationToken).ConfigureAwait(false)
            ?? throw new LaunchException($"image '{container.Image}' was pulled but the engine does not list it");
    }

    public static async Task<ImageInspectResponse?> TryInspectAsync(DockerClient client, string image, CancellationToken cancellationToken)
    {
        try
        {
            return await client.Images.InspectImageAsync(image, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerImageNotFoundException)
        {
            return null;
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private Task JoinPullAsync(DockerClient client, string image, ServiceLog log)
    {
        lock (_gate)
        {
            if (_pulls.TryGetValue(image, out var running))
            {
                running.Add(log);
                log.Write($"meshdev: waiting for the pull of {image} already under way");
                return running.Completion;
            }

            var pull = new Pull(log);
            _pulls[image] = pull;
            PullCount++;
            pull.Completion = RunPullAsync(client, image, pull);
            return pull.Completion;
        }
    }

    private async Task RunPullAsync(DockerClient client, string image, Pull pull)
    {
        await Task.Yield();
        try
        {
            pull.Write($"meshdev: pulling {image} (engine {engine.Endpoint})");
            var progress = new PullProgress(image, pull.Write, time);
            var reference = ImageReference.Parse(image);
            try
            {
                await client.Images.CreateImageAsync(
                    new ImagesCreateParameters { FromImage = reference.Repository, Tag = reference.TagOrDigest },
                    authConfig: null,
                    progress,
                    lifetime).ConfigureAwait(false);
            }
            catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException)
            {
                throw new LaunchException($"pulling image '{image}' failed: {EngineErrors.Describe(e)}; {PullFix(image)}", e);
            }

            if (progress.Error is { } error)
            {
                throw new LaunchException($"pulling image '{image}' failed: {error}; {PullFix(image)}");
            }

            pull.Write(progress.Finished());
        }
        finally
        {
            lock (_gate)
            {
                _pulls.Remove(image);
            }
        }
    }

    /// <summary>
    /// What to do about a failed pull: the engine's words name the registry, not that the image may simply be one the
    /// developer meant to build here (a typo, or a local image without 'pull: never').
    /// </summary>
    private static string PullFix(string image) =>
        $"check the image name and that its registry is reachable, or set 'pull: never' for an image built on this machine and {EngineChecks.BuildFix(image)}";

    /// <summary>One pull under way and the logs that follow it.</summary>
    private sealed class Pull(ServiceLog first)
    {
        private readonly Lock _gate = new();
        private readonly List<ServiceLog> _logs = [first];

        public Task Completion { get; set; } = Task.CompletedTask;

        public void Add(ServiceLog log)
        {
            lock (_gate)
            {
                _logs.Add(log);
            }
        }

        public void Write(string line)
        {
            ServiceLog[] logs;
            lock (_gate)
            {
                logs = [.. _logs];
            }

            foreach (var log in logs.Distinct())
            {
                log.Write(line);
            }
        }
    }
}
