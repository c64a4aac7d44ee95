using System.Diagnostics;

namespace MeshDev.Runtime;

/// <summary>Copies a child process's stdout and stderr, line by line, into a sink until both reach end of file.</summary>
internal static class OutputPump
{
    /// <summary>Starts reading both streams of <paramref name="process"/>; the task completes once both are drained.</summary>
    public static Task Start(Process process, Action<string> sink) =>
        Task.WhenAll(
            Task.Run(() => PumpAsync(process.StandardOutput, sink)),
            Task.Run(() => PumpAsync(process.StandardError, sink)));

    private static async Task PumpAsync(StreamReader reader, Action<string> sink)
    {
        try
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                try
                {
                    sink(line);
                }
                catch (Exception)
                {
                    // Whatever the log or one of its subscribers throws, keep draining, or the child blocks on a full pipe.
                }
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or IOException)
        {
            // The process object was disposed while an escaped grandchild still held the pipe open.
        }
    }
}
