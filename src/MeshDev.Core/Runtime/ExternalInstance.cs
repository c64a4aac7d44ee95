namespace MeshDev.Runtime;

/// <summary>An instance that runs on its own, so the mesh only routes to it: a remote upstream, or a program already on the service's port.</summary>
public sealed class ExternalInstance : IServiceInstance
{
    // Nothing tells the mesh when such an instance ends; a refused connection does (see InstanceOwnership.Listening).
    private static readonly Task<int?> Never = new TaskCompletionSource<int?>().Task;

    // Only the two kinds below: a launched instance is the runtime's own.
    private ExternalInstance()
    {
    }

    public ServiceEndpoint Endpoint { get; private init; }

    /// <summary>Said in the service's change to external: where it is and why the mesh does not launch it.</summary>
    public string Description { get; private init; } = "";

    public InstanceOwnership Ownership { get; private init; }

    public Task<int?> Exited => Never;

    /// <summary>The fixed upstream at <paramref name="url"/>.</summary>
    public static ExternalInstance Remote(Uri url) => new()
    {
        Endpoint = new ServiceEndpoint(url.Host, url.Port),
        Description = $"remote upstream {url.Authority}",
        Ownership = InstanceOwnership.Remote,
    };

    /// <summary>A program the mesh found listening at <paramref name="endpoint"/>; <paramref name="description"/> says so.</summary>
    public static ExternalInstance Listening(ServiceEndpoint endpoint, string description) => new()
    {
        Endpoint = endpoint,
        Description = description,
        Ownership = InstanceOwnership.Listening,
    };

    /// <summary>Does nothing: the instance is not the mesh's to stop.</summary>
    public Task StopAsync(TimeSpan gracePeriod, CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
