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
            // Nothing printed of a service because of --tail: its feed goes on from now, not from its first line.
            var last = new Resume(query.Tail is null ? query.Since : Later(query.Since, DateTimeOffset.UtcNow), SkipAtSince: false);
            await foreach (var entry in read(service, query with { Follow = false }, cancellationToken).ConfigureAwait(false))
            {
                past.Add((service, entry));
                if (!entry.Notice && entry.Time is { } time)
                {
                    last = new Resume(time, SkipAtSince: true);
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
    // "since" a time sends again every line read at that very time: all of them were there when the past lines were read
    // (the mesh stamps the lines of one read from the service's output with one time), printed or left out by --tail.
    private static async Task FollowAsync(IReadOnlyList<string> services, Dictionary<string, Resume> resume, Source read, Action<string, LogEntry> print, CancellationToken cancellationToken)
    {
        var lines = Channel.CreateUnbounded<(string Service, LogEntry Entry)>(new UnboundedChannelOptions { SingleReader = true });
        var followers = services.Select(service => Task.Run(async () =>
        {
            var (since, skipAtSince) = resume[service];
            await foreach (var entry in read(service, new LogQuery(since, Tail: null, Follow: true), cancellationToken).ConfigureAwait(false))
            {
                // Notes on lines rotated away were printed with the past lines; a feed resumed "since" has none to add.
                if (!(skipAtSince && entry.Time == since) && !entry.Notice)
                {
                    await lines.Writer.WriteAsync((service, entry), cancellationToken).ConfigureAwait(false);
                }
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

    private static DateTimeOffset Later(DateTimeOffset? a, DateTimeOffset b) => a is { } time && time > b ? time : b;

    /// <summary>Where a service's feed goes on from: the time of the last line printed (whose lines were all seen), or the start.</summary>
    private readonly record struct Resume(DateTimeOffset? Since, bool SkipAtSince);
}
