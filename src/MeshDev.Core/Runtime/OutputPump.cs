using System.Diagnostics;
using System.Text;

namespace MeshDev.Runtime;

/// <summary>
/// Copies a child process's stdout and stderr into a sink until both reach end of file: in batches of the lines each
/// read brought, so a service that writes fast costs one lock and one file write per read, not per line.
/// </summary>
internal static class OutputPump
{
    /// <summary>Longer lines are cut into pieces of this many characters, so one endless line cannot fill the memory.</summary>
    public const int MaxLineLength = 64 * 1024;

    private const int ReadSize = 64 * 1024;

    /// <summary>Starts reading both streams of <paramref name="process"/>; the task completes once both are drained.</summary>
    public static Task Start(Process process, Action<IReadOnlyList<string>> sink) =>
        Task.WhenAll(
            Task.Run(() => PumpAsync(process.StandardOutput.BaseStream, sink)),
            Task.Run(() => PumpAsync(process.StandardError.BaseStream, sink)));

    /// <summary>Starts copying <paramref name="process"/>'s output into <paramref name="log"/>.</summary>
    public static Task Start(Process process, ServiceLog log) => Start(process, (IReadOnlyList<string> lines) => log.Write(lines));

    /// <summary>As <see cref="Start(Process, Action{IReadOnlyList{string}})"/>, one line at a time.</summary>
    public static Task Start(Process process, Action<string> sink) => Start(process, lines =>
    {
        foreach (var line in lines)
        {
            sink(line);
        }
    });

    /// <summary>Reads <paramref name="stream"/> to its end, handing each read's complete lines to <paramref name="sink"/>.</summary>
    internal static async Task PumpAsync(Stream stream, Action<IReadOnlyList<string>> sink)
    {
        var bytes = new byte[ReadSize];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(ReadSize)];
        var decoder = Encoding.UTF8.GetDecoder();
        var splitter = new LineSplitter();
        try
        {
            int read;
            while ((read = await stream.ReadAsync(bytes).ConfigureAwait(false)) > 0)
            {
                var decoded = decoder.GetChars(bytes, 0, read, chars, 0, flush: false);
                Deliver(sink, splitter.Split(chars.AsSpan(0, decoded)));
            }

            var last = decoder.GetChars(bytes, 0, 0, chars, 0, flush: true);
            Deliver(sink, [.. splitter.Split(chars.AsSpan(0, last)), .. splitter.End()]);
        }
        catch (Exception e) when (e is ObjectDisposedException or IOException)
        {
            // The process object was disposed while an escaped grandchild still held the pipe open.
        }
    }

    private static void Deliver(Action<IReadOnlyList<string>> sink, List<string> lines)
    {
        if (lines.Count == 0)
        {
            return;
        }

        try
        {
            sink(lines);
        }
        catch (Exception)
        {
            // Whatever the log or one of its subscribers throws, keep draining, or the child blocks on a full pipe.
        }
    }

    /// <summary>Splits text into lines as <see cref="TextReader.ReadLine"/> does ('\n', "\r\n" or a lone '\r'), across reads.</summary>
    internal sealed class LineSplitter
    {
        private readonly StringBuilder _partial = new();
        private bool _afterCarriageReturn;

        public List<string> Split(ReadOnlySpan<char> text)
        {
            var lines = new List<string>();
            var start = 0;
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (c == '\n' && _afterCarriageReturn && i == start && _partial.Length == 0)
                {
                    // The '\n' of a "\r\n" split across two reads: that line is already out.
                    _afterCarriageReturn = false;
                    start = i + 1;
                    continue;
                }

                _afterCarriageReturn = false;
                if (c is '\n' or '\r')
                {
                    lines.Add(Take(text[start..i]));
                    if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                    {
                        i++;
                    }
                    else if (c == '\r')
                    {
                        _afterCarriageReturn = true;
                    }

                    start = i + 1;
                }
                else if (_partial.Length + (i - start) >= MaxLineLength)
                {
                    lines.Add(Take(text[start..i]));
                    start = i;
                }
            }

            _partial.Append(text[start..]);
            return lines;
        }

        /// <summary>The last line, when the output did not end with a line break.</summary>
        public List<string> End() => _partial.Length > 0 ? [Take([])] : [];

        private string Take(ReadOnlySpan<char> rest)
        {
            if (_partial.Length == 0)
            {
                return new string(rest);
            }

            var line = _partial.Append(rest).ToString();
            _partial.Clear();
            return line;
        }
    }
}
