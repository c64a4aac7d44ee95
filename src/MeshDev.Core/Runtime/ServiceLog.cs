namespace MeshDev.Runtime;

/// <summary>
/// The output of one service: appended to a log file under the state directory, kept in a small ring
/// for error messages, and raised as <see cref="LineWritten"/> for the foreground <c>name |</c> output.
/// </summary>
public sealed class ServiceLog : IDisposable
{
    private readonly Lock _gate = new();
    private readonly string[] _ring;
    private int _next;
    private int _count;
    private readonly StreamWriter? _file;

    public ServiceLog(string service, string? filePath, int tailCapacity = 200)
    {
        Service = service;
        FilePath = filePath;
        _ring = new string[tailCapacity];
        if (filePath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(filePath)!);
            _file = new StreamWriter(new FileStream(filePath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete)) { AutoFlush = true };
        }
    }

    public string Service { get; }
    public string? FilePath { get; }

    /// <summary>Raised for every line, outside the lock.</summary>
    public event Action<string, string>? LineWritten;

    public void Write(string line)
    {
        lock (_gate)
        {
            _ring[_next] = line;
            _next = (_next + 1) % _ring.Length;
            if (_count < _ring.Length)
            {
                _count++;
            }

            _file?.WriteLine(line);
        }

        LineWritten?.Invoke(Service, line);
    }

    /// <summary>The last <paramref name="lines"/> lines, oldest first.</summary>
    public IReadOnlyList<string> Tail(int lines = 20)
    {
        lock (_gate)
        {
            var n = Math.Min(lines, _count);
            var result = new string[n];
            for (var i = 0; i < n; i++)
            {
                result[i] = _ring[(_next - n + i + _ring.Length) % _ring.Length];
            }

            return result;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _file?.Dispose();
        }
    }
}
