using System.Threading.Channels;
using k8s;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// A KubernetesClient watch (<c>IAsyncEnumerable</c> of events) read in the background, so that a test can await the
/// next event that matches, one expectation after another, on the same open watch.
/// </summary>
internal sealed class WatchedEvents<T> : IAsyncDisposable
{
    // Only a guard against a hung test: each expectation is met by an event, not by waiting.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly Channel<(WatchEventType Type, T Object)> _events = Channel.CreateUnbounded<(WatchEventType, T)>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;

    public WatchedEvents(Func<CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch)
    {
        _reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in watch(_stop.Token))
                {
                    _events.Writer.TryWrite(e);
                }

                _events.Writer.TryComplete();
            }
            catch (Exception e)
            {
                _events.Writer.TryComplete(e is OperationCanceledException ? null : e);
            }
        });
    }

    /// <summary>Every event seen so far by <see cref="NextAsync"/>, matching or not.</summary>
    public List<(WatchEventType Type, T Object)> Seen { get; } = [];

    /// <summary>The next event that matches (the ones before it are skipped, and kept in <see cref="Seen"/>).</summary>
    public async Task<(WatchEventType Type, T Object)> NextAsync(Func<WatchEventType, T, bool> matches, string what)
    {
        using var patience = new CancellationTokenSource(Patience);
        try
        {
            while (await _events.Reader.WaitToReadAsync(patience.Token))
            {
                while (_events.Reader.TryRead(out var e))
                {
                    Seen.Add(e);
                    if (matches(e.Type, e.Object))
                    {
                        return e;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (patience.IsCancellationRequested)
        {
        }

        throw new Xunit.Sdk.XunitException($"the watch ended or went quiet before: {what} (seen: {string.Join(", ", Seen.Select(e => e.Type))})");
    }

    /// <summary>Completes when the server ends the watch stream.</summary>
    public async Task EndedAsync()
    {
        using var patience = new CancellationTokenSource(Patience);
        while (await _events.Reader.WaitToReadAsync(patience.Token))
        {
            while (_events.Reader.TryRead(out var e))
            {
                Seen.Add(e);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reader;
        _stop.Dispose();
    }
}
