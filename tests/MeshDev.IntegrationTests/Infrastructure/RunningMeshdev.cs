using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace MeshDev.IntegrationTests.Infrastructure;

/// <summary>
/// A <c>meshdev</c> command that keeps running (<c>status --watch</c>, <c>events</c>, <c>logs -f</c>): its stdout lines
/// are read as they come; disposing kills it if it still runs.
/// </summary>
internal sealed class RunningMeshdev : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _command;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _seen = new();
    private readonly Task<string> _stderr;
    private readonly Task _pump;

    public RunningMeshdev(Process process, string command)
    {
        _process = process;
        _command = command;
        _stderr = process.StandardError.ReadToEndAsync();
        _pump = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                _lines.Writer.TryWrite(line);
            }

            _lines.Writer.TryComplete();
        });
    }

    /// <summary>Reads lines until one matches; returns every line read, the match last. Fails when the command ends first.</summary>
    public async Task<IReadOnlyList<string>> ReadUntilAsync(Func<string, bool> match, string what)
    {
        var read = new List<string>();
        using var deadline = new CancellationTokenSource(Eventually.Deadline);
        try
        {
            while (await _lines.Reader.WaitToReadAsync(deadline.Token))
            {
                while (_lines.Reader.TryRead(out var line))
                {
                    read.Add(line);
                    _seen.AppendLine(line);
                    if (match(line))
                    {
                        return read;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"meshdev {_command}: still waiting after {Eventually.Deadline.TotalSeconds:0} s for {what}; output so far:{Environment.NewLine}{_seen}");
        }

        throw new InvalidOperationException($"meshdev {_command} ended (exit {await ExitCodeAsync()}) before {what}; output:{Environment.NewLine}{_seen}stderr:{Environment.NewLine}{await _stderr}");
    }

    /// <summary>Waits for the command to end by itself; its exit code.</summary>
    public async Task<int> ExitCodeAsync()
    {
        await _process.WaitForExitAsync().WaitAsync(Eventually.Deadline);
        await _pump;
        return _process.ExitCode;
    }

    /// <summary>Everything it wrote to stderr; only once it has ended.</summary>
    public Task<string> StderrAsync() => _stderr;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
