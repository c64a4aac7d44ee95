using System.Globalization;
using Docker.DotNet;
using Docker.DotNet.Models;
using MeshDev.Catalog;
using MeshDev.Runtime;

namespace MeshDev.Docker;

/// <summary>
/// Launches <c>runtime: docker</c> services as containers through the Docker engine (Docker.DotNet). Every container
/// carries this mesh's labels; a stopped container with unchanged settings is started again instead of recreated, a
/// running one left by a killed daemon is adopted, and at mesh shutdown every container of the mesh is removed.
/// </summary>
public sealed class DockerRuntime : IServiceRuntime, IAsyncDisposable
{
    private readonly DockerEngine _engine;
    private readonly string _meshId;
    private readonly string _manifestPath;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly ImageStore _images;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ImageInspectResponse> _prepared = new(StringComparer.Ordinal);

    /// <param name="meshId">This mesh's id (<see cref="MeshIdentity"/>): the label value that marks its containers.</param>
    /// <param name="manifestPath">Recorded on each container for people reading <c>docker ps</c>.</param>
    public DockerRuntime(string meshId, string manifestPath, DockerEngine? engine = null, TimeProvider? time = null)
    {
        _meshId = meshId;
        _manifestPath = manifestPath;
        _engine = engine ?? new DockerEngine();
        _images = new ImageStore(_engine, time ?? TimeProvider.System, _lifetime.Token);
    }

    public RuntimeKind Kind => RuntimeKind.Docker;

    public DockerEngine Engine => _engine;

    /// <summary>How many image pulls were started.</summary>
    public int PullCount => _images.PullCount;

    /// <summary>Makes sure the image is here (pulling it when the policy says so); a failure reaches every waiting caller.</summary>
    public async Task PrepareAsync(ServiceSpec service, ServiceLog log, CancellationToken cancellationToken)
    {
        var image = await EngineCallAsync(() => _images.EnsureAsync(ContainerOf(service), log, cancellationToken), cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _prepared[service.Name] = image;
        }
    }

    public Task<IServiceInstance> StartAsync(LaunchRequest request, CancellationToken cancellationToken) =>
        EngineCallAsync(() => StartContainerAsync(request, cancellationToken), cancellationToken);

    /// <summary>
    /// Runs a launch's calls to the engine. The engine is pinged once, at the first launch; one stopped since then fails
    /// the next call with a bare "Connection failed", which is told to the callers as a failed ping would be.
    /// </summary>
    private async Task<T> EngineCallAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new LaunchException(_engine.NotReachable(e), e);
        }
    }

    private async Task<IServiceInstance> StartContainerAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        var service = request.Service;
        var container = ContainerOf(service);
        var client = await _engine.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var image = TakePrepared(service) ?? await _images.EnsureAsync(container, request.Log, cancellationToken).ConfigureAwait(false);
        var definition = ContainerDefinition.For(request, _meshId, _manifestPath);
        var execProbe = ExecProbeOf(service, image);
        if (execProbe is not null)
        {
            var source = service.Ready.Kind == ReadyKind.Exec ? "ready: exec" : "the image's HEALTHCHECK";
            request.Log.Write($"meshdev: ready once '{string.Join(' ', execProbe)}' succeeds inside the container ({source})");
        }

        foreach (var existing in await ListAsync(client, service.Name, cancellationToken).ConfigureAwait(false))
        {
            if (Matches(existing, definition, image) && HostPortOf(existing) is { } port)
            {
                if (existing.State == "running")
                {
                    request.Log.Write($"meshdev: container {Short(existing.ID)} of this mesh already runs with the same settings; using it");
                    return await AttachAsync(client, existing.ID, port, container, execProbe, alreadyRunning: true, request.Log, cancellationToken).ConfigureAwait(false);
                }

                // Kept after an idle stop: starting it again is faster than creating a new one, unless its host port was taken meanwhile.
                if (container.Network == ContainerNetwork.Bridge || Ports.CanBind(port))
                {
                    // The manifest's name: the image's first tag may be another name of the same build (compose-web:latest).
                    request.Log.Write($"meshdev: starting container {Short(existing.ID)} again ({container.Image})");
                    return await RunAsync(client, existing.ID, port, container, execProbe, "restarted", request.Log, cancellationToken).ConfigureAwait(false);
                }
            }

            // Its settings or its image changed since it was created (or it is in the way): replace it.
            await MeshContainers.RemoveAsync(client, existing.ID, cancellationToken).ConfigureAwait(false);
        }

        if (container.Network == ContainerNetwork.Bridge)
        {
            await EnsureBridgeNetworkAsync(client, cancellationToken).ConfigureAwait(false);
        }

        CreateBindSources(container);
        CreateContainerResponse created;
        try
        {
            created = await client.Containers.CreateContainerAsync(definition.Parameters, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException e)
        {
            throw new LaunchException($"the engine could not create a container from image '{container.Image}': {EngineErrors.Describe(e)}", e);
        }

        foreach (var warning in created.Warnings ?? [])
        {
            request.Log.Write($"meshdev: engine warning: {warning}");
        }

        request.Log.Write($"meshdev: created container {Short(created.ID)} from {container.Image} ({(container.Network == ContainerNetwork.Bridge ? $"bridge, port {request.Port} published on 127.0.0.1:{definition.HostPort}" : $"host network, port {definition.HostPort}")})");
        return await RunAsync(client, created.ID, definition.HostPort, container, execProbe, "created", request.Log, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A running container of this mesh and service with the current settings and image, left by an earlier run.</summary>
    public async Task<IServiceInstance?> AdoptAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        var service = request.Service;
        var container = ContainerOf(service);
        DockerClient client;
        try
        {
            client = await _engine.ConnectAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (LaunchException)
        {
            // No engine, so nothing to adopt; the first launch reports the engine problem to its callers.
            return null;
        }

        var running = (await ListAsync(client, service.Name, cancellationToken).ConfigureAwait(false)).Where(c => c.State == "running").ToList();
        if (running.Count == 0)
        {
            return null;
        }

        var image = await ImageStore.TryInspectAsync(client, container.Image, cancellationToken).ConfigureAwait(false);
        var definition = ContainerDefinition.For(request, _meshId, _manifestPath);
        foreach (var candidate in running)
        {
            if (image is not null && Matches(candidate, definition, image) && HostPortOf(candidate) is { } port)
            {
                request.Log.Write($"meshdev: adopting container {Short(candidate.ID)}, left running by an earlier run of this mesh");
                return await AttachAsync(client, candidate.ID, port, container, ExecProbeOf(service, image), alreadyRunning: true, request.Log, cancellationToken).ConfigureAwait(false);
            }

            request.Log.Write($"meshdev: removing container {Short(candidate.ID)}, left by an earlier run with other settings");
            await MeshContainers.RemoveAsync(client, candidate.ID, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    private static async Task<IServiceInstance> RunAsync(DockerClient client, string id, int hostPort, ContainerSpec container, IReadOnlyList<string>? execProbe, string how, ServiceLog log, CancellationToken cancellationToken)
    {
        try
        {
            var instance = await ContainerInstance.RunAsync(
                client, id, new ServiceEndpoint("127.0.0.1", hostPort), $"container {Short(id)}", execProbe,
                removeOnStop: container.OnIdle == IdleAction.Remove, alreadyRunning: false, log, cancellationToken).ConfigureAwait(false);
            return instance;
        }
        catch (DockerApiException e)
        {
            // Keep nothing half-made: the next launch creates it afresh.
            await MeshContainers.RemoveAsync(client, id, CancellationToken.None).ConfigureAwait(false);
            throw new LaunchException($"the engine could not start the container of image '{container.Image}': {EngineErrors.Describe(e)}", e);
        }
    }

    private static Task<ContainerInstance> AttachAsync(DockerClient client, string id, int hostPort, ContainerSpec container, IReadOnlyList<string>? execProbe, bool alreadyRunning, ServiceLog log, CancellationToken cancellationToken) =>
        ContainerInstance.RunAsync(
            client, id, new ServiceEndpoint("127.0.0.1", hostPort), $"container {Short(id)}", execProbe,
            removeOnStop: container.OnIdle == IdleAction.Remove, alreadyRunning, log, cancellationToken);

    private async Task<IList<ContainerListResponse>> ListAsync(DockerClient client, string service, CancellationToken cancellationToken) =>
        await client.Containers.ListContainersAsync(
            new ContainersListParameters { All = true, Filters = ContainerLabels.Filter(_meshId, service) }, cancellationToken).ConfigureAwait(false);

    private static bool Matches(ContainerListResponse container, ContainerDefinition definition, ImageInspectResponse image) =>
        container.Labels is { } labels
        && labels.TryGetValue(ContainerLabels.Config, out var hash) && hash == definition.ConfigHash
        && container.ImageID == image.ID;

    private static int? HostPortOf(ContainerListResponse container) =>
        container.Labels.TryGetValue(ContainerLabels.HostPort, out var text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : null;

    /// <summary>The command that decides readiness inside the container: the manifest's exec, else the image's HEALTHCHECK when the manifest left 'ready' out.</summary>
    private static IReadOnlyList<string>? ExecProbeOf(ServiceSpec service, ImageInspectResponse image) => service.Ready.Kind switch
    {
        ReadyKind.Exec => service.Ready.Command,
        ReadyKind.ImageHealthcheck => ExecProbe.FromHealthcheck(image.Config?.Healthcheck),
        _ => null,
    };

    private ImageInspectResponse? TakePrepared(ServiceSpec service)
    {
        lock (_gate)
        {
            return _prepared.Remove(service.Name, out var image) ? image : null;
        }
    }

    /// <summary>
    /// An engine started with <c>--bridge=none</c> has no bridge network; a container asked to use it would start without
    /// a reachable port and only fail at the start timeout. Say so at once instead.
    /// </summary>
    private static async Task EnsureBridgeNetworkAsync(DockerClient client, CancellationToken cancellationToken)
    {
        if (!await EngineChecks.HasBridgeNetworkAsync(client, cancellationToken).ConfigureAwait(false))
        {
            throw new LaunchException("the Docker engine has no bridge network (it runs with --bridge=none), so a port cannot be published; use 'network: host'");
        }
    }

    // The engine would create a missing bind source as root; created here, it belongs to the developer.
    private static void CreateBindSources(ContainerSpec container)
    {
        foreach (var volume in container.Volumes.Where(v => v.IsBind && !File.Exists(v.Source)))
        {
            Directory.CreateDirectory(volume.Source);
        }
    }

    private static ContainerSpec ContainerOf(ServiceSpec service) =>
        service.Container ?? throw new LaunchException($"service '{service.Name}' has no container settings");

    internal static string Short(string id) => id.Length > 12 ? id[..12] : id;

    /// <summary>Removes every container of this mesh (running or kept after an idle stop): the mesh is going down.</summary>
    public async ValueTask DisposeAsync()
    {
        await _lifetime.CancelAsync().ConfigureAwait(false);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var client = await _engine.ConnectAsync(timeout.Token).ConfigureAwait(false);
            await MeshContainers.RemoveAllAsync(client, _meshId, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is LaunchException or DockerApiException or HttpRequestException or IOException or OperationCanceledException)
        {
            // No engine (or it went away): nothing of ours can be running there that we could remove now.
        }

        _engine.Dispose();
        _lifetime.Dispose();
    }
}
