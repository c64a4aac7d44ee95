using System.Collections.Concurrent;

namespace MeshDev.Proxy.Forwarding;

/// <summary>
/// Limits, per service address, the new connections that have not yet received a first response byte. A connection
/// the service has not accepted yet waits in its listen queue, which can be tiny (python's http.server: 5); when a
/// launch releases hundreds of held requests at once, the kernel drops the connections that do not fit and the
/// callers wait seconds for SYN retransmits or time out. Connections that answered are not counted, so keep-alive
/// servers soon have as many connections as callers, and HTTP/1.0 servers serve a few requests at a time.
/// </summary>
public sealed class ConnectionGate(TimeProvider time)
{
    /// <summary>New connections per address awaiting their first response byte; below the smallest listen queue in common use.</summary>
    internal const int MaxUnanswered = 4;

    /// <summary>
    /// A connection waits at most this long for a place: a few long polls that answer late must not hold up every
    /// other new connection.
    /// </summary>
    internal static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(1);

    private const int MaxAddresses = 256;

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _addresses = new(StringComparer.Ordinal);

    /// <summary>Waits for a place for a new connection to <paramref name="address"/>; the returned action gives it back (null: none was taken).</summary>
    public async ValueTask<Action?> EnterAsync(string address, CancellationToken cancellationToken)
    {
        var places = PlacesFor(address);
        if (places.Wait(0, CancellationToken.None))
        {
            return Leave(places);
        }

        using var waited = new CancellationTokenSource(MaxWait, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(waited.Token, cancellationToken);
        try
        {
            await places.WaitAsync(either.Token).ConfigureAwait(false);
            return Leave(places);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null; // waited long enough: connect anyway
        }
    }

    private SemaphoreSlim PlacesFor(string address)
    {
        if (_addresses.TryGetValue(address, out var places))
        {
            return places;
        }

        if (_addresses.Count >= MaxAddresses)
        {
            _addresses.Clear(); // auto ports change with every launch; the live addresses come back at once
        }

        return _addresses.GetOrAdd(address, static _ => new SemaphoreSlim(MaxUnanswered, MaxUnanswered));
    }

    private static Action Leave(SemaphoreSlim places)
    {
        var left = 0;
        return () =>
        {
            if (Interlocked.Exchange(ref left, 1) == 0)
            {
                places.Release();
            }
        };
    }
}
