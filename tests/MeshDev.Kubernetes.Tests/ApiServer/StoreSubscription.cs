using System.Threading.Channels;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>The changes of one kind (or of every kind) in one namespace (or all), from some version on, until disposed.</summary>
internal sealed class StoreSubscription : IDisposable
{
    private readonly Channel<StoredChange> _changes = Channel.CreateUnbounded<StoredChange>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Action<StoreSubscription> _unsubscribe;

    public StoreSubscription(ApiResource? resource, string? @namespace, Action<StoreSubscription> unsubscribe)
    {
        Resource = resource;
        Namespace = @namespace;
        _unsubscribe = unsubscribe;
    }

    public ApiResource? Resource { get; }

    public string? Namespace { get; }

    public ChannelReader<StoredChange> Changes => _changes.Reader;

    public bool Accepts(StoredChange change) =>
        (Resource is null || change.Resource == Resource) &&
        (Namespace is null || change.Object.Metadata.NamespaceProperty == Namespace);

    /// <summary>Called by the store with its lock held, so every subscriber sees changes in version order.</summary>
    public void Publish(StoredChange change) => _changes.Writer.TryWrite(change);

    /// <summary>The store is stopping: readers finish.</summary>
    public void Complete() => _changes.Writer.TryComplete();

    public void Dispose()
    {
        _unsubscribe(this);
        Complete();
    }
}
