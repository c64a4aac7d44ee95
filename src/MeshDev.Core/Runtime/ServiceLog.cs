using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using MeshDev.Catalog;

namespace MeshDev.Runtime;

/// <summary>
/// The output of one service: appended to a log file under the state directory with a timestamp per line (see
/// <see cref="LogFile"/>), rotated by size (see <see cref="LogRotation"/>), kept in a small bounded ring for error
/// messages, raised as <see cref="LineWritten"/> for the foreground <c>name |</c> output, and fanned out to readers that
/// follow it (<c>meshdev logs -f</c>). Every consumer sees the lines in one order: the order of the file.
/// </summary>
public sealed class ServiceLog : IDisposable
{
    /// <summary>The start of the line that marks each launch in the log: <c>── launch #3 at 10:42:01 ──</c>.</summary>
    public const string LaunchMarkerPrefix = "── launch #";

    // A follower too slow to keep up loses its oldest unread lines rather than slowing the service's output down.
    private const int FollowerCapacity = 4096;

    // The ring serves error messages (the last 20 lines); a few long lines must not make it hold megabytes.
    private const int TailCharCapacity = 256 * 1024;

    private readonly Lock _gate = new();
    private readonly Queue<LogEntry> _ring = new();
    private readonly int _tailCapacity;
    private readonly TimeProvider _time;
    private readonly List<Channel<LogEntry>> _followers = [];
    private readonly RotatingLogWriter? _file;
    private long _ringChars;

    /// <param name="filePath">The log file (rotated files next to it); null keeps the recent lines in memory only.</param>
    /// <param name="tailCapacity">How many recent lines the ring keeps (fewer when they are long).</param>
    /// <param name="rotation">When to rotate the file; <see cref="LogRotation.Default"/> when null.</param>
    public ServiceLog(string service, string? filePath, TimeProvider? time = null, int tailCapacity = 200, LogRotation? rotation = null)
    {
        Service = service;
        FilePath = filePath;
        _time = time ?? TimeProvider.System;
        _tailCapacity = tailCapacity;
        if (filePath is not null)
        {
            _file = new RotatingLogWriter(filePath, rotation ?? LogRotation.Default);
        }
    }

    public string Service { get; }
    public string? FilePath { get; }

    /// <summary>Raised for every line (service, text without timestamp), in the order of the file.</summary>
    public event Action<string, string>? LineWritten;

    public void Write(string line) => Write([line]);

    /// <summary>
    /// Appends <paramref name="lines"/> as one batch: one time (when they were read), one write to the file, and no
    /// other writer's line in between.
    /// </summary>
    public void Write(IReadOnlyList<string> lines)
    {
        if (lines.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            // The time is taken under the lock too, so the file's times never go backwards.
            var now = _time.GetUtcNow();

            // Lines the ring would drop again within this batch need not go in.
            var firstForRing = Math.Max(0, lines.Count - _tailCapacity);
            try
            {
                for (var i = 0; i < lines.Count; i++)
                {
                    var line = lines[i];
                    var entry = new LogEntry(now, line);
                    if (i >= firstForRing)
                    {
                        AddToRingLocked(entry);
                    }

                    _file?.Append(entry);
                    foreach (var follower in _followers)
                    {
                        follower.Writer.TryWrite(entry);
                    }

                    // Raised under the lock: the foreground output shows the lines in the file's order, whichever
                    // writer (the service's output, the mesh's notes, an old instance's last words) got there first.
                    LineWritten?.Invoke(Service, line);
                }
            }
            finally
            {
                _file?.Flush();
            }
        }
    }

    /// <summary>Marks the start of launch number <paramref name="number"/> (as <c>status</c> counts them), at the local time.</summary>
    public void MarkLaunch(int number)
    {
        var local = TimeZoneInfo.ConvertTime(_time.GetUtcNow(), _time.LocalTimeZone);
        Write(string.Create(CultureInfo.InvariantCulture, $"{LaunchMarkerPrefix}{number} at {local:HH:mm:ss} ──"));
    }

    /// <summary>The last <paramref name="lines"/> lines, oldest first.</summary>
    public IReadOnlyList<string> Tail(int lines = 20)
    {
        lock (_gate)
        {
            return [.. RingLocked(lines).Select(e => e.Text)];
        }
    }

    /// <summary>
    /// The lines <paramref name="query"/> selects: from the files (the ring when there are none), then, with
    /// <see cref="LogQuery.Follow"/>, every new line until <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public async IAsyncEnumerable<LogEntry> ReadAsync(LogQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Channel<LogEntry>? live = null;
        long written;
        LogEntry[] ring;
        LogSnapshot? files = null;
        lock (_gate)
        {
            // Under the lock: every line is either before this point in the files or in the live feed, never both; and
            // the files are opened before a rotation can rename them (open handles follow the renames).
            written = _file?.Length ?? 0;
            if (_file is not null && File.Exists(FilePath))
            {
                files = LogFileSet.Open(FilePath!);
            }

            ring = RingLocked(_ring.Count);
            if (query.Follow)
            {
                live = Channel.CreateBounded<LogEntry>(new BoundedChannelOptions(FollowerCapacity)
                {
                    SingleReader = true,
                    FullMode = BoundedChannelFullMode.DropOldest,
                });
                _followers.Add(live);
            }
        }

        try
        {
            // The ring stands in for a file someone deleted (the writer keeps appending to the unlinked one).
            var past = files is not null
                ? LogFile.ReadAsync(files, query with { Follow = false }, written, cancellationToken)
                : ring.Where(query.Includes).TakeLast(query.Tail ?? int.MaxValue).ToAsyncEnumerable();
            await foreach (var entry in past.ConfigureAwait(false))
            {
                yield return entry;
            }

            if (live is null)
            {
                yield break;
            }

            await foreach (var entry in live.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (query.Includes(entry))
                {
                    yield return entry;
                }
            }
        }
        finally
        {
            files?.Dispose();
            if (live is not null)
            {
                lock (_gate)
                {
                    _followers.Remove(live);
                }
            }
        }
    }

    private void AddToRingLocked(LogEntry entry)
    {
        _ring.Enqueue(entry);
        _ringChars += entry.Text.Length;
        while (_ring.Count > _tailCapacity || (_ringChars > TailCharCapacity && _ring.Count > 1))
        {
            _ringChars -= _ring.Dequeue().Text.Length;
        }
    }

    private LogEntry[] RingLocked(int lines) => [.. _ring.Skip(Math.Max(0, _ring.Count - lines))];

    public void Dispose()
    {
        lock (_gate)
        {
            _file?.Dispose();
            foreach (var follower in _followers)
            {
                follower.Writer.TryComplete();
            }
        }
    }
}
