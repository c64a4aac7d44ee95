using System.Collections.Immutable;
using System.Runtime.Versioning;
using MeshDev.Catalog;
using MeshDev.Testing;

namespace MeshDev.Runtime.Tests;

/// <summary>
/// What real processes write reaches the log in the order they wrote it (stdout and stderr interleaved, Python's
/// print before its crash), and a fast writer's 200 MB leave no more on disk than the rotation allows.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ServiceOutputTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly LogRecorder _log = new();
    private readonly ProcessRuntime _runtime = new();

    public void Dispose()
    {
        _runtime.Dispose();
        _log.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Lines_written_alternately_to_stdout_and_stderr_keep_their_order()
    {
        var service = Python("""
            import sys
            for i in range(1, 5001):
                stream = sys.stdout if i % 2 else sys.stderr
                stream.write(f"line {i} on {stream.name}\n")
                stream.flush()
            """);

        await using var instance = await _runtime.StartAsync(Services.Request(service, _log), CancellationToken.None);
        await instance.Exited.WaitAsync(Wait.Long);

        Assert.Equal(Enumerable.Range(1, 5000).Select(i => $"line {i} on {(i % 2 == 1 ? "<stdout>" : "<stderr>")}"), _log.Lines);
    }

    [Fact]
    public async Task What_a_python_service_prints_before_it_fails_comes_before_its_error()
    {
        var service = Python("""
            import sys
            print("connecting to db...")
            print("FATAL: db refused the connection", file=sys.stderr)
            sys.exit(1)
            """);

        await using var instance = await _runtime.StartAsync(Services.Request(service, _log), CancellationToken.None);

        Assert.Equal(1, await instance.Exited.WaitAsync(Wait.Long));
        Assert.Equal(["connecting to db...", "FATAL: db refused the connection"], _log.Lines);
    }

    [Fact]
    public async Task A_service_writing_200_MB_leaves_at_most_keep_files_of_max_size_and_readers_are_told()
    {
        var rotation = new LogRotation(MaxSize: 1 << 20, Keep: 3);
        var path = _dir.Combine("logs", "writer.log");
        using var log = new ServiceLog("writer", path, rotation: rotation);
        var service = Python("""
            import sys
            chunk = (b"x" * 99 + b"\n") * 10000
            for _ in range(200):
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.write(b"done\n")
            """);

        await using var instance = await _runtime.StartAsync(new LaunchRequest(service, TestPorts.Free(), ImmutableDictionary<string, string>.Empty, log), CancellationToken.None);
        Assert.Equal(0, await instance.Exited.WaitAsync(TimeSpan.FromMinutes(5)));

        var files = Directory.GetFiles(_dir.Combine("logs"), "writer.log*").Where(f => !f.EndsWith(".rotated", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, files.Length);
        const int OneLine = 28 + 100;
        Assert.InRange(files.Sum(f => new FileInfo(f).Length), 2 * rotation.MaxSize, rotation.Bound + OneLine);

        var (rotations, dropped) = LogFileSet.ReadState(path);
        Assert.InRange(rotations, 200, 300);
        Assert.InRange(dropped, 256_000_000 - rotation.Bound - OneLine, 256_000_000L);

        var tail = new List<LogEntry>();
        await foreach (var entry in log.ReadAsync(new LogQuery(Tail: 100_000)))
        {
            tail.Add(entry);
        }

        Assert.True(tail[0].Notice, tail[0].Text);
        Assert.Matches(@"^\(older lines rotated away: 2\.\d MB kept of 244\.1 MB written; ", tail[0].Text);
        Assert.Equal("done", tail[^1].Text);
    }

    private ServiceSpec Python(string script) => new()
    {
        Name = "svc",
        Command = "python3",
        Args = ["-c", script],
        WorkingDir = _dir.Path,
    };
}
