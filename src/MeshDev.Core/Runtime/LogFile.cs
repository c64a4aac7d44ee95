using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace MeshDev.Runtime;

/// <summary>
/// The format of <c>.meshdev/logs/{service}.log</c>: each line prefixed with the UTC time the mesh read it
/// (<c>2026-11-27T10:00:00.123456Z text</c>, like <c>docker logs -t</c>), so <c>--since</c> works on the file alone,
/// also when no mesh runs. Lines without the prefix (logs of older versions) keep the time of the line before them.
/// </summary>
public static class LogFile
{
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";
    private const int TimeLength = 27;

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
    /// The lines of the file at <paramref name="path"/> that <paramref name="query"/> selects. Reads at most
    /// <paramref name="upTo"/> bytes when given (what was written before a live feed took over); otherwise, with
    /// <see cref="LogQuery.Follow"/>, keeps looking for new lines until cancelled.
    /// </summary>
    public static async IAsyncEnumerable<LogEntry> ReadAsync(string path, LogQuery query, long? upTo = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 64 * 1024, useAsync: true);
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false);
        var tail = query.Tail is { } n ? new Queue<LogEntry>(Math.Min(n, 1024)) : null;
        var consumed = 0L;
        DateTimeOffset? previous = null;

        // The past lines first (only the last N of them with a tail).
        while ((upTo is null || consumed < upTo) && await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            // The writer ends every line with a single '\n' (or a lone '\r' the reader also splits on): one byte.
            consumed += Encoding.UTF8.GetByteCount(line) + 1;
            var entry = Parse(line, previous);
            previous = entry.Time ?? previous;
            if (!query.Includes(entry))
            {
                continue;
            }

            if (tail is null)
            {
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

        foreach (var entry in tail ?? [])
        {
            yield return entry;
        }

        if (upTo is not null || !query.Follow)
        {
            yield break;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            if (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                var entry = Parse(line, previous);
                previous = entry.Time ?? previous;
                if (query.Includes(entry))
                {
                    yield return entry;
                }
            }
            else
            {
                await Task.Delay(FollowPollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
