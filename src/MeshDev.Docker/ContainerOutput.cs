using System.Text;
using Docker.DotNet;

namespace MeshDev.Docker;

/// <summary>
/// Copies a container's stdout and stderr (the engine's multiplexed attach stream) into the service's log, line by
/// line, like a process's output, until the container stops or the copy is cancelled.
/// </summary>
internal static class ContainerOutput
{
    public static async Task PumpAsync(MultiplexedStream stream, Action<string> sink, CancellationToken cancellationToken)
    {
        var stdout = new LineSplitter(sink);
        var stderr = new LineSplitter(sink);
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false);
                if (read.EOF)
                {
                    break;
                }

                (read.Target == MultiplexedStream.TargetStream.StandardError ? stderr : stdout).Append(buffer.AsSpan(0, read.Count));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Cancelled (instance released) or the engine closed the connection: what was read is kept.
        }
        finally
        {
            stdout.Flush();
            stderr.Flush();
            stream.Dispose();
        }
    }

    /// <summary>Cuts one stream's bytes into lines; a multi-byte character split across two frames is decoded whole.</summary>
    private sealed class LineSplitter(Action<string> sink)
    {
        private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
        private readonly StringBuilder _line = new();
        private char[] _chars = new char[1024];

        public void Append(ReadOnlySpan<byte> bytes)
        {
            var needed = _decoder.GetCharCount(bytes, flush: false);
            if (needed > _chars.Length)
            {
                _chars = new char[needed];
            }

            var count = _decoder.GetChars(bytes, _chars, flush: false);
            foreach (var c in _chars.AsSpan(0, count))
            {
                if (c == '\n')
                {
                    Emit();
                }
                else if (c != '\r')
                {
                    _line.Append(c);
                }
            }
        }

        public void Flush()
        {
            if (_line.Length > 0)
            {
                Emit();
            }
        }

        private void Emit()
        {
            var line = _line.ToString();
            _line.Clear();
            try
            {
                sink(line);
            }
            catch (Exception)
            {
                // A failing log subscriber must not stop the copy (nor the container, whose output would back up).
            }
        }
    }
}
