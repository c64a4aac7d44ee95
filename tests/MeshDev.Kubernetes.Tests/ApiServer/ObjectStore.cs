using System.Globalization;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// The stand-in's etcd: every object of every kind, one global <c>resourceVersion</c> counter, the history of changes
/// that watches replay from a version, and the subscribers (watch streams, the controller, the kubelet). Stored objects
/// are never changed in place: every write stores a new copy, so a change handed to a watcher stays as it was.
/// </summary>
internal sealed class ObjectStore(TimeProvider time)
{
    // Enough for any test; a watch from an older version gets 410 Gone, as from a compacted etcd.
    private const int HistoryLimit = 20_000;

    private readonly object _gate = new();
    private readonly Dictionary<ApiResource, SortedDictionary<string, IKubernetesObject<V1ObjectMeta>>> _objects =
        ApiResources.All.ToDictionary(r => r, _ => new SortedDictionary<string, IKubernetesObject<V1ObjectMeta>>(StringComparer.Ordinal));
    private readonly List<StoredChange> _history = [];
    private readonly List<StoreSubscription> _subscriptions = [];
    private long _version;
    private long _compactedThrough;
    private bool _stopped;

    public DateTime Now
    {
        get
        {
            // The API server's timestamps (metav1.Time) have whole seconds.
            var now = time.GetUtcNow().UtcDateTime;
            return new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        }
    }

    public long Version
    {
        get
        {
            lock (_gate)
            {
                return _version;
            }
        }
    }

    /// <summary>Runs <paramref name="action"/> with the store's lock held, for read-modify-write requests.</summary>
    public T Atomically<T>(Func<T> action)
    {
        lock (_gate)
        {
            return action();
        }
    }

    public IKubernetesObject<V1ObjectMeta>? Get(ApiResource resource, string? @namespace, string name)
    {
        lock (_gate)
        {
            return _objects[resource].GetValueOrDefault(Key(@namespace, name));
        }
    }

    public T? Get<T>(ApiResource resource, string? @namespace, string name)
        where T : class, IKubernetesObject<V1ObjectMeta> => (T?)Get(resource, @namespace, name);

    /// <summary>The objects of a kind in one namespace (all when null), and the version they are current at.</summary>
    public (IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Items, long Version) List(ApiResource resource, string? @namespace)
    {
        lock (_gate)
        {
            var items = _objects[resource].Values.Where(o => @namespace is null || o.Metadata.NamespaceProperty == @namespace).ToList();
            return (items, _version);
        }
    }

    public IReadOnlyList<T> List<T>(ApiResource resource, string? @namespace)
        where T : class, IKubernetesObject<V1ObjectMeta> => List(resource, @namespace).Items.Cast<T>().ToList();

    /// <summary>Stores a new object (taking ownership of <paramref name="value"/>), filling in what the server owns.</summary>
    public IKubernetesObject<V1ObjectMeta> Create(ApiResource resource, IKubernetesObject<V1ObjectMeta> value)
    {
        lock (_gate)
        {
            var metadata = value.Metadata ??= new V1ObjectMeta();
            if (resource.Namespaced)
            {
                var owner = _objects[ApiResources.Namespaces].GetValueOrDefault(metadata.NamespaceProperty ?? "")
                    ?? throw ApiStatusException.NotFound(ApiResources.Namespaces, metadata.NamespaceProperty ?? "");
                if (owner.Metadata.DeletionTimestamp is not null)
                {
                    throw ApiStatusException.TerminatingNamespace(resource, metadata.Name ?? metadata.GenerateName, owner.Metadata.Name);
                }
            }
            else
            {
                metadata.NamespaceProperty = null;
            }

            var objects = _objects[resource];
            if (string.IsNullOrEmpty(metadata.Name) && !string.IsNullOrEmpty(metadata.GenerateName))
            {
                do
                {
                    metadata.Name = metadata.GenerateName + RandomSuffix.Next(5);
                }
                while (objects.ContainsKey(Key(metadata.NamespaceProperty, metadata.Name)));
            }

            ObjectValidation.ValidateName(resource, metadata.Name);
            var key = Key(metadata.NamespaceProperty, metadata.Name);
            if (objects.ContainsKey(key))
            {
                throw ApiStatusException.AlreadyExists(resource, metadata.Name);
            }

            value.ApiVersion = resource.ApiVersion;
            value.Kind = resource.Kind;
            metadata.Uid = Guid.NewGuid().ToString();
            metadata.CreationTimestamp = Now;
            metadata.Generation = resource.HasGeneration ? 1 : null;
            metadata.DeletionTimestamp = null;
            metadata.DeletionGracePeriodSeconds = null;
            metadata.SelfLink = null;
            metadata.ResourceVersion = Next();
            objects[key] = value;
            Publish(new StoredChange(WatchEventType.Added, resource, value, null, _version));
            return value;
        }
    }

    /// <summary>
    /// Replaces a stored object with <paramref name="value"/> (taking ownership of it). A non-empty
    /// <c>resourceVersion</c> in it must be the stored one (else 409 Conflict); the server-owned metadata is kept; a
    /// change of <c>spec</c> bumps <c>generation</c>; a write that changes nothing is not a change (no new version).
    /// </summary>
    public IKubernetesObject<V1ObjectMeta> Replace(ApiResource resource, IKubernetesObject<V1ObjectMeta> value)
    {
        lock (_gate)
        {
            var metadata = value.Metadata ??= new V1ObjectMeta();
            var key = Key(resource.Namespaced ? metadata.NamespaceProperty : null, metadata.Name ?? "");
            var current = _objects[resource].GetValueOrDefault(key) ?? throw ApiStatusException.NotFound(resource, metadata.Name ?? "");
            if (!string.IsNullOrEmpty(metadata.ResourceVersion) && metadata.ResourceVersion != current.Metadata.ResourceVersion)
            {
                throw ApiStatusException.Conflict(resource, metadata.Name!);
            }

            value.ApiVersion = resource.ApiVersion;
            value.Kind = resource.Kind;
            metadata.Uid = current.Metadata.Uid;
            metadata.CreationTimestamp = current.Metadata.CreationTimestamp;
            metadata.DeletionTimestamp = current.Metadata.DeletionTimestamp ?? metadata.DeletionTimestamp;
            metadata.DeletionGracePeriodSeconds = current.Metadata.DeletionGracePeriodSeconds ?? metadata.DeletionGracePeriodSeconds;
            metadata.SelfLink = null;
            metadata.ResourceVersion = current.Metadata.ResourceVersion;
            metadata.Generation = current.Metadata.Generation;

            var before = resource.ToJson(current);
            var after = resource.ToJson(value);
            if (resource.HasGeneration && !JsonNode.DeepEquals(before["spec"], after["spec"]))
            {
                metadata.Generation = (current.Metadata.Generation ?? 0) + 1;
            }
            else if (JsonNode.DeepEquals(Comparable(before), Comparable(after)))
            {
                return current;
            }

            metadata.ResourceVersion = Next();
            _objects[resource][key] = value;
            Publish(new StoredChange(WatchEventType.Modified, resource, value, current, _version));
            return value;
        }
    }

    /// <summary>Read-modify-write of one object by the stand-in itself (controller, kubelet); null when it is gone.</summary>
    public T? Update<T>(ApiResource resource, string? @namespace, string name, Func<T, bool> change)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_gate)
        {
            if (Get(resource, @namespace, name) is not T current)
            {
                return null;
            }

            var copy = (T)resource.Clone(current);
            return change(copy) ? (T)Replace(resource, copy) : current;
        }
    }

    /// <summary>Removes an object; the <c>DELETED</c> change carries it with the deletion's version, as the API server's does.</summary>
    public IKubernetesObject<V1ObjectMeta>? Delete(ApiResource resource, string? @namespace, string name)
    {
        lock (_gate)
        {
            var key = Key(@namespace, name);
            if (!_objects[resource].Remove(key, out var current))
            {
                return null;
            }

            var gone = resource.Clone(current);
            gone.Metadata.ResourceVersion = Next();
            Publish(new StoredChange(WatchEventType.Deleted, resource, gone, current, _version));
            return gone;
        }
    }

    /// <summary>
    /// Subscribes to changes of <paramref name="resource"/> in <paramref name="namespace"/>. Without
    /// <paramref name="fromVersion"/> (or with "0") the current objects come first as <c>ADDED</c>; with a version, the
    /// remembered changes after it come first. Either way nothing is missed or repeated between them and later changes.
    /// </summary>
    public StoreSubscription Watch(ApiResource resource, string? @namespace, string? fromVersion)
    {
        lock (_gate)
        {
            var subscription = new StoreSubscription(resource, @namespace, Unsubscribe);
            if (string.IsNullOrEmpty(fromVersion) || fromVersion == "0")
            {
                foreach (var item in List(resource, @namespace).Items)
                {
                    subscription.Publish(new StoredChange(WatchEventType.Added, resource, item, null, ParseVersion(item.Metadata.ResourceVersion)));
                }
            }
            else
            {
                var after = ParseVersion(fromVersion);
                if (after < _compactedThrough)
                {
                    throw ApiStatusException.Expired($"too old resource version: {after} ({_compactedThrough + 1})");
                }

                foreach (var change in _history.Where(c => c.Version > after && subscription.Accepts(c)))
                {
                    subscription.Publish(change);
                }
            }

            return Register(subscription);
        }
    }

    /// <summary>Every change of every kind from now on: what the simulated controller and kubelet react to.</summary>
    public StoreSubscription WatchEverything()
    {
        lock (_gate)
        {
            return Register(new StoreSubscription(null, null, Unsubscribe));
        }
    }

    /// <summary>Ends every subscription: watch streams close, the controller and kubelet loops finish.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _stopped = true;
            foreach (var subscription in _subscriptions)
            {
                subscription.Complete();
            }

            _subscriptions.Clear();
        }
    }

    public static long ParseVersion(string? version) =>
        long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw ApiStatusException.BadRequest($"resourceVersion: Invalid value: \"{version}\": strconv.ParseUint: parsing \"{version}\": invalid syntax");

    private static string Key(string? @namespace, string name) => @namespace is null ? name : $"{@namespace}/{name}";

    private static JsonObject Comparable(JsonObject json)
    {
        var copy = (JsonObject)json.DeepClone();
        if (copy["metadata"] is JsonObject metadata)
        {
            metadata.Remove("resourceVersion");
            metadata.Remove("managedFields");
        }

        return copy;
    }

    private string Next() => (++_version).ToString(CultureInfo.InvariantCulture);

    private StoreSubscription Register(StoreSubscription subscription)
    {
        if (_stopped)
        {
            subscription.Complete();
        }
        else
        {
            _subscriptions.Add(subscription);
        }

        return subscription;
    }

    private void Unsubscribe(StoreSubscription subscription)
    {
        lock (_gate)
        {
            _subscriptions.Remove(subscription);
        }
    }

    private void Publish(StoredChange change)
    {
        _history.Add(change);
        if (_history.Count > HistoryLimit)
        {
            var dropped = _history.Count / 2;
            _compactedThrough = _history[dropped - 1].Version;
            _history.RemoveRange(0, dropped);
        }

        foreach (var subscription in _subscriptions)
        {
            if (subscription.Accepts(change))
            {
                subscription.Publish(change);
            }
        }
    }
}
