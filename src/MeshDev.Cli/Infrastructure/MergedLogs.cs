using System.Threading.Channels;
using MeshDev.Runtime;

namespace MeshDev.Cli.Infrastructure;

/// <summary>
/// The logs of several services as one: their past lines interleaved by the time the mesh read them, then (following)
/// every new line of any of them as it comes, as <c>docker compose logs</c> shows its containers.
/// </summary>
public static class MergedLogs
{
    /// <summary>Reads one service's log (the running mesh's feed, or the file it left).</summary>
    public delegate IAsyncEnumerable<LogEntry> Source(string service, LogQuery query, CancellationToken cancellationToken);

    /// <summary>Prints what <paramref name="query"/> selects of each of <paramref name="services"/> through <paramref name="print"/>.</summary>
    public static async Task RunAsync(IReadOnlyList<string> services, LogQuery query, Source read, Action<string, LogEntry> print, CancellationToken cancellationToken)
    {
        var past = new List<(string Service, LogEntry Entry)>();
        var resume = new Dictionary<string, Resume>();
        foreach (var service in services)
        {
            var last = new Resume(query.Since, 0);
            await foreach (var entry in read(service, query with { Follow = false }, cancellationToken).ConfigureAwait(false))
            {
                past.Add((service, entry));
                if (!entry.Notice && entry.Time is { } time)
                {
                    last = time == last.Since ? last with { Seen = last.Seen + 1 } : new Resume(time, 1);
                }
            }

            resume[service] = last;
        }

        // A stable sort: lines one service wrote at the same time keep their order. Lines of old files without a time
        // (null) come first, as they were written before any line that has one.
        foreach (var (service, entry) in past.OrderBy(p => p.Entry.Time ?? DateTimeOffset.MinValue))
        {
            print(service, entry);
        }

        if (query.Follow)
        {
            await FollowAsync(services, resume, read, print, cancellationToken).ConfigureAwait(false);
        }
    }

    // Every service's feed from the last line printed of it on, into one queue printed in arrival order. A feed asked
    // "since" a time sends again the lines read at that very time that were printed already: skipped by count.
    private static async Task FollowAsync(IReadOnlyList<string> services, Dictionary<string, Resume> resume, Source read, Action<string, LogEntry> print, CancellationToken cancellationToken)
    {
        var lines = Channel.CreateUnbounded<(string Service, LogEntry Entry)>(new UnboundedChannelOptions { SingleReader = true });
        var followers = services.Select(service => Task.Run(async () =>
        {
            var (since, printed) = resume[service];
            await foreach (var entry in read(service, new LogQuery(since, Tail: null, Follow: true), cancellationToken).ConfigureAwait(false))
            {
                if (printed > 0 && !entry.Notice && entry.Time == since)
                {
                    printed--;
                    continue;
                }

                printed = 0;
                await lines.Writer.WriteAsync((service, entry), cancellationToken).ConfigureAwait(false);
            }
        }, cancellationToken)).ToArray();

        // The feeds end together when the mesh stops; one that fails (the mesh went away) ends the whole follow with its error.
        _ = Task.WhenAll(followers).ContinueWith(
            all => lines.Writer.TryComplete(all.Exception?.InnerException),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        await foreach (var (service, entry) in lines.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            print(service, entry);
        }
    }

    /// <summary>Where a service's feed goes on from: the time of the last line printed and how many printed lines had it.</summary>
    private readonly record struct Resume(DateTimeOffset? Since, int Seen);
}
