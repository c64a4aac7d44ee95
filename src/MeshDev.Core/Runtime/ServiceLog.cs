using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace MeshDev.Runtime;

/// <summary>
/// The output of one service: appended to a log file under the state directory with a timestamp per line (see
/// <see cref="LogFile"/>), kept in a small ring for error messages, raised as <see cref="LineWritten"/> for the
/// foreground <c>name |</c> output, and fanned out to readers that follow it (<c>meshdev logs -f</c>).
/// </summary>
public sealed class ServiceLog : IDisposable
{
    // A follower too slow to keep up loses its oldest unread lines rather than slowing the service's output down.
    private const int FollowerCapacity = 4096;

    private readonly Lock _gate = new();
    private readonly LogEntry[] _ring;
    private readonly TimeProvider _time;
    private readonly List<Channel<LogEntry>> _followers = [];
    private int _next;
    private int _count;
    private readonly StreamWriter? _file;

    public ServiceLog(string service, string? filePath, TimeProvider? time = null, int tailCapacity = 200)
    {
        Service = service;
        FilePath = filePath;
        _time = time ?? TimeProvider.System;
        _ring = new LogEntry[tailCapacity];
        if (filePath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(filePath)!);
            _file = new StreamWriter(new FileStream(filePath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete)) { AutoFlush = true };
        }
    }

    public string Service { get; }
    public string? FilePath { get; }

    /// <summary>Raised for every line (service, text without timestamp), outside the lock.</summary>
    public event Action<string, string>? LineWritten;

    public void Write(string line)
    {
        var entry = new LogEntry(_time.GetUtcNow(), line);
        lock (_gate)
        {
            _ring[_next] = entry;
            _next = (_next + 1) % _ring.Length;
            if (_count < _ring.Length)
            {
                _count++;
            }

            _file?.WriteLine(LogFile.Format(entry));
            foreach (var follower in _followers)
            {
                follower.Writer.TryWrite(entry);
            }
        }

        LineWritten?.Invoke(Service, line);
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
    /// The lines <paramref name="query"/> selects: from the file (the ring when there is none), then, with
    /// <see cref="LogQuery.Follow"/>, every new line until <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public async IAsyncEnumerable<LogEntry> ReadAsync(LogQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Channel<LogEntry>? live = null;
        long written;
        LogEntry[] ring;
        lock (_gate)
        {
            // Under the lock: every line is either before this point in the file or in the live feed, never both.
            written = _file?.BaseStream.Position ?? 0;
            ring = RingLocked(_count);
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
            var past = FilePath is not null && _file is not null && File.Exists(FilePath)
                ? LogFile.ReadAsync(FilePath, query with { Follow = false }, written, cancellationToken)
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
            if (live is not null)
            {
                lock (_gate)
                {
                    _followers.Remove(live);
                }
            }
        }
    }

    private LogEntry[] RingLocked(int lines)
    {
        var n = Math.Min(lines, _count);
        var result = new LogEntry[n];
        for (var i = 0; i < n; i++)
        {
            result[i] = _ring[(_next - n + i + _ring.Length) % _ring.Length];
        }

        return result;
    }

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
