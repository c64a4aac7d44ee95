using System.Collections.Immutable;
using MeshDev.Xds.Resources;

namespace MeshDev.Xds.Server;

/// <summary>
/// The snapshot every ADS stream serves. <see cref="TryPublish"/> swaps in a new one only when it is consistent, then
/// tells every stream, which pushes what changed for its own subscriptions.
/// </summary>
public sealed class XdsSnapshotCache
{
    private readonly Lock _gate = new();
    private readonly Lock _publishGate = new();
    private volatile XdsSnapshot _current;
    private ImmutableArray<Action> _subscribers = [];

    /// <exception cref="ArgumentException">The initial snapshot is inconsistent.</exception>
    public XdsSnapshotCache(XdsSnapshot initial)
    {
        var problems = XdsSnapshotConsistency.Check(initial);
        if (problems.Count > 0)
        {
            throw new ArgumentException($"the xDS snapshot is inconsistent: {string.Join("; ", problems)}", nameof(initial));
        }

        _current = initial;
    }

    public XdsSnapshot Current => _current;

    /// <summary>Raised after a snapshot was published (on the publisher's thread).</summary>
    public event Action<XdsSnapshot>? Published;

    /// <summary>Checks <paramref name="snapshot"/>, then publishes it; otherwise keeps the current one and says why.</summary>
    public bool TryPublish(XdsSnapshot snapshot, out IReadOnlyList<string> problems)
    {
        lock (_publishGate)
        {
            // Checked against the snapshot it replaces, so only what changed is looked at.
            problems = XdsSnapshotConsistency.Check(snapshot, checkedBefore: _current);
            if (problems.Count > 0)
            {
                return false;
            }

            _current = snapshot;
            foreach (var subscriber in _subscribers)
            {
                subscriber();
            }
        }

        Published?.Invoke(snapshot);
        return true;
    }

    /// <summary>Calls <paramref name="onPublished"/> after every publication until disposed. It must not block.</summary>
    internal IDisposable Subscribe(Action onPublished)
    {
        lock (_gate)
        {
            _subscribers = _subscribers.Add(onPublished);
        }

        return new Subscription(this, onPublished);
    }

    private sealed class Subscription(XdsSnapshotCache cache, Action onPublished) : IDisposable
    {
        public void Dispose()
        {
            lock (cache._gate)
            {
                cache._subscribers = cache._subscribers.Remove(onPublished);
            }
        }
    }
}
