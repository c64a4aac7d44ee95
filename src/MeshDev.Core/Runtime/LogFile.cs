using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using MeshDev.Catalog;

namespace MeshDev.Runtime;

/// <summary>
/// The format of <c>.meshdev/logs/{service}.log</c>: each line prefixed with the UTC time the mesh read it
/// (<c>2026-11-27T10:00:00.123456Z text</c>, like <c>docker logs -t</c>), so <c>--since</c> works on the file alone,
/// also when no mesh runs. Lines without the prefix (logs of older versions) keep the time of the line before them.
/// </summary>
public static class LogFile
{
    internal const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";
    internal const int TimeLength = 27;

    // How often a follower without a mesh looks for new lines; a mesh pushes them instead.
    private static readonly TimeSpan FollowPollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>The line as written to the file.</summary>
    public static string Format(LogEntry entry) =>
        entry.Time is { } time ? $"{FormatTime(time)} {entry.Text}" : entry.Text;

    /// <summary>The same ISO-8601 UTC form the file uses, for <c>--timestamps</c> and JSON.</summary>
    public static string FormatTime(DateTimeOffset time) => time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    /// <summary>Splits a file line into its time and text; a line without a time gets <paramref name="previous"/>.</summary>
    public static LogEntry Parse(string line, DateTimeOffset? previous = null)
    {
        if (line.Length > TimeLength && line[TimeLength] == ' '
            && DateTimeOffset.TryParseExact(line.AsSpan(0, TimeLength), TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            return new LogEntry(time, line[(TimeLength + 1)..]);
        }

        return new LogEntry(previous, line);
    }

    /// <summary>
    /// The lines of the log at <paramref name="path"/> (its rotated files first, see <see cref="LogFileSet"/>) that
    /// <paramref name="query"/> selects, with a notice when some of them were rotated away; with
    /// <see cref="LogQuery.Follow"/>, then every new line (also across rotations) until cancelled.
    /// </summary>
    public static async IAsyncEnumerable<LogEntry> ReadAsync(string path, LogQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var snapshot = LogFileSet.Open(path);
        await foreach (var entry in ReadAsync(snapshot, query, upTo: null, cancellationToken).ConfigureAwait(false))
        {
            yield return entry;
        }
    }

    /// <summary>
    /// The lines of <paramref name="snapshot"/> that <paramref name="query"/> selects, oldest first. Reads at most
    /// <paramref name="upTo"/> bytes of the newest file when given (what was written before a live feed took over);
    /// otherwise, with <see cref="LogQuery.Follow"/>, keeps looking for new lines until cancelled.
    /// </summary>
    internal static async IAsyncEnumerable<LogEntry> ReadAsync(LogSnapshot snapshot, LogQuery query, long? upTo, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var tail = query.Tail is { } n ? new Queue<LogEntry>(Math.Min(n, 1024)) : null;
        DateTimeOffset? previous = null;
        DateTimeOffset? oldest = null;
        var read = false;
        var noticeDue = snapshot.DroppedBytes > 0;
        StreamReader? newest = null;
        try
        {
            // The past lines first (only the last N of them with a tail).
            for (var i = 0; i < snapshot.Files.Count; i++)
            {
                var isNewest = i == snapshot.Files.Count - 1;
                var reader = new StreamReader(snapshot.Files[i], Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 64 * 1024, leaveOpen: true);
                var limit = isNewest ? upTo : null;
                var consumed = 0L;
                while ((limit is null || consumed < limit) && await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
                {
                    // The writer ends every line with a single '\n' (or a lone '\r' the reader also splits on): one byte.
                    consumed += Encoding.UTF8.GetByteCount(line) + 1;
                    var entry = Parse(line, previous);
                    previous = entry.Time ?? previous;
                    if (!read)
                    {
                        read = true;
                        oldest = entry.Time;
                    }

                    if (!query.Includes(entry))
                    {
                        continue;
                    }

                    if (tail is null)
                    {
                        if (noticeDue)
                        {
                            noticeDue = false;
                            if (AskedForDropped(query, oldest))
                            {
                                yield return snapshot.DroppedNotice();
                            }
                        }

                        yield return entry;
                    }
                    else if (query.Tail > 0)
                    {
                        if (tail.Count == query.Tail)
                        {
                            tail.Dequeue();
                        }

                        tail.Enqueue(entry);
                    }
                }

                if (isNewest)
                {
                    newest = reader;
                }
                else
                {
                    reader.Dispose();
                }
            }

            // With a tail, only when fewer lines are left than were asked for.
            if (noticeDue && (tail is null || tail.Count < query.Tail) && AskedForDropped(query, oldest))
            {
                yield return snapshot.DroppedNotice();
            }

            foreach (var entry in tail ?? [])
            {
                yield return entry;
            }

            if (upTo is not null || !query.Follow)
            {
                yield break;
            }

            var rotations = snapshot.Rotations;
            while (!cancellationToken.IsCancellationRequested)
            {
                if (newest is not null && await newest.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
                {
                    var entry = Parse(line, previous);
                    previous = entry.Time ?? previous;
                    if (query.Includes(entry))
                    {
                        yield return entry;
                    }

                    continue;
                }

                // At the end of the file: it may have been rotated (renamed to .1) while we read it, with new lines in a new file.
                var (now, _) = LogFileSet.ReadState(snapshot.Path);
                if (now == rotations && newest is not null || !File.Exists(snapshot.Path))
                {
                    await Task.Delay(FollowPollInterval, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                // The last lines written to ours before it was renamed, whatever came after it and was rotated too
                // (several rotations between two looks), then the new file.
                while (newest is not null && await newest.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } late)
                {
                    var entry = Parse(late, previous);
                    previous = entry.Time ?? previous;
                    if (query.Includes(entry))
                    {
                        yield return entry;
                    }
                }

                var missed = false;
                for (var index = (int)Math.Min(now - rotations - 1, LogRotation.MaxKeep); index >= 1; index--)
                {
                    if (!File.Exists(LogFileSet.PathOf(snapshot.Path, index)))
                    {
                        missed = true;
                        continue;
                    }

                    using var between = new StreamReader(LogFileSet.PathOf(snapshot.Path, index), Encoding.UTF8, detectEncodingFromByteOrderMarks: false);
                    while (await between.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } skipped)
                    {
                        var entry = Parse(skipped, previous);
                        previous = entry.Time ?? previous;
                        if (query.Includes(entry))
                        {
                            yield return entry;
                        }
                    }
                }

                if (missed)
                {
                    yield return new LogEntry(null, "(lines rotated away before they could be read; mesh.logs in the manifest sets how much is kept)", Notice: true);
                }

                newest?.Dispose();
                newest = new StreamReader(new FileStream(snapshot.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 64 * 1024, useAsync: true), Encoding.UTF8, detectEncodingFromByteOrderMarks: false);
                rotations = now;
            }
        }
        finally
        {
            newest?.Dispose();
        }
    }

    /// <summary>Whether lines the query selects can be older than the oldest line kept.</summary>
    private static bool AskedForDropped(LogQuery query, DateTimeOffset? oldestKept) =>
        query.Since is not { } since || oldestKept is not { } oldest || oldest > since;
}
