using System.Text;
using MeshDev.Catalog;

namespace MeshDev.Runtime;

/// <summary>
/// Appends formatted lines to a service's log file through a buffer, and rotates the file (see <see cref="LogFileSet"/>)
/// before a line would take it past <see cref="LogRotation.MaxSize"/>. Not thread-safe: <see cref="ServiceLog"/> calls
/// it under its lock.
/// </summary>
internal sealed class RotatingLogWriter : IDisposable
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly string _path;
    private readonly LogRotation _rotation;
    private readonly char[] _time = new char[LogFile.TimeLength + 1];
    private StreamWriter _writer;
    private DateTimeOffset? _formatted;
    private bool _timed;

    public RotatingLogWriter(string path, LogRotation rotation)
    {
        _path = path;
        _rotation = rotation;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        DropFilesBeyondKeep();
        _writer = OpenCurrent();
    }

    /// <summary>The bytes in the current file, buffered ones included.</summary>
    public long Length { get; private set; }

    public void Append(LogEntry entry)
    {
        // A batch of lines shares one time: format it once.
        if (entry.Time != _formatted)
        {
            _formatted = entry.Time;
            _timed = entry.Time is { } time && time.UtcDateTime.TryFormat(_time, out var written, LogFile.TimeFormat, System.Globalization.CultureInfo.InvariantCulture) && written == LogFile.TimeLength;
            _time[LogFile.TimeLength] = ' ';
        }

        var timed = _timed;
        var bytes = (timed ? LogFile.TimeLength + 1 : 0) + Utf8.GetByteCount(entry.Text) + 1;
        if (Length > 0 && Length + bytes > _rotation.MaxSize)
        {
            Rotate();
        }

        if (timed)
        {
            _writer.Write(_time);
        }

        _writer.Write(entry.Text);
        _writer.Write('\n');
        Length += bytes;
    }

    /// <summary>Hands the buffered lines to the file, for readers; once per batch of lines, not per line.</summary>
    public void Flush() => _writer.Flush();

    public void Dispose() => _writer.Dispose();

    private StreamWriter OpenCurrent()
    {
        // Unbuffered stream, buffered writer: one buffer, and Flush() is one write(2).
        var stream = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        Length = stream.Length;
        return new StreamWriter(stream, Utf8, bufferSize: 64 * 1024) { AutoFlush = false };
    }

    private void Rotate()
    {
        _writer.Dispose();
        try
        {
            var (rotations, dropped) = LogFileSet.ReadState(_path);

            // The oldest kept file makes room; the rest move one up; the current file becomes .1 (or goes, with keep: 1).
            var oldest = LogFileSet.PathOf(_path, _rotation.Keep - 1);
            dropped += SizeOf(oldest);
            File.Delete(oldest);
            for (var index = _rotation.Keep - 2; index >= 0; index--)
            {
                var from = LogFileSet.PathOf(_path, index);
                if (File.Exists(from))
                {
                    File.Move(from, LogFileSet.PathOf(_path, index + 1), overwrite: true);
                }
            }

            LogFileSet.WriteState(_path, rotations + 1, dropped);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The service's output matters more than the bound: keep appending to whatever file is there.
        }

        _writer = OpenCurrent();
    }

    /// <summary>Files a larger <c>keep</c> of an earlier run left behind count as rotated away.</summary>
    private void DropFilesBeyondKeep()
    {
        var extra = 0L;
        for (var index = _rotation.Keep; index <= LogRotation.MaxKeep; index++)
        {
            var path = LogFileSet.PathOf(_path, index);
            if (File.Exists(path))
            {
                extra += SizeOf(path);
                File.Delete(path);
            }
        }

        if (extra > 0)
        {
            var (rotations, dropped) = LogFileSet.ReadState(_path);
            LogFileSet.WriteState(_path, rotations, dropped + extra);
        }
    }

    private static long SizeOf(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;
}
