using System.Collections.Immutable;
using MeshDev.Catalog;
using MeshDev.Testing;

namespace MeshDev.Runtime.Tests;

/// <summary>A directory under /tmp, deleted with everything in it on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("meshdev-runtime-tests-").FullName;
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public string WriteFile(string relativePath, string content)
    {
        var file = Combine(relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        File.WriteAllText(file, content);
        return file;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

/// <summary>A <see cref="ServiceLog"/> whose lines tests can await.</summary>
internal sealed class LogRecorder : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];

    public LogRecorder(string service = "svc")
    {
        Log = new ServiceLog(service, filePath: null);
        Log.LineWritten += (_, line) => OnLine(line);
    }

    public ServiceLog Log { get; }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>The first line (already written or still to come) that matches.</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan? timeout = null)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            var existing = _lines.FirstOrDefault(match);
            if (existing is not null)
            {
                return Task.FromResult(existing);
            }

            _waiters.Add((match, found));
        }

        return found.Task.WaitAsync(timeout ?? Wait.Long);
    }

    public Task<string> WaitForLineAsync(string prefix, TimeSpan? timeout = null) =>
        WaitForLineAsync(line => line.StartsWith(prefix, StringComparison.Ordinal), timeout);

    public void Dispose() => Log.Dispose();

    private void OnLine(string line)
    {
        List<TaskCompletionSource<string>> matched = [];
        lock (_gate)
        {
            _lines.Add(line);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(line))
                {
                    matched.Add(_waiters[i].Found);
                    _waiters.RemoveAt(i);
                }
            }
        }

        matched.ForEach(m => m.TrySetResult(line));
    }
}

/// <summary>Generous limits: these tests wait on events, never on elapsed time, so only a hang runs into them.</summary>
internal static class Wait
{
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan Build = TimeSpan.FromMinutes(3);

    /// <summary>Polls a condition that has no event to await (a process disappearing from /proc after a signal).</summary>
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        using var limit = new CancellationTokenSource(timeout ?? Long);
        while (!condition())
        {
            try
            {
                await Task.Delay(20, limit.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"timed out waiting until {what}");
            }
        }
    }
}

/// <summary>Reads a process's state from /proc, the way the assertions need it.</summary>
internal static class Proc
{
    /// <summary>True when the pid exists and is not a zombie (a killed orphan may stay a zombie until init reaps it).</summary>
    public static bool IsAlive(int pid) => UnixProcess.IsAlive(pid);

    /// <summary>(pgrp, session) of a live process: fields 5 and 6 of /proc/{pid}/stat.</summary>
    public static (int ProcessGroup, int Session) GroupAndSession(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (int.Parse(fields[2]), int.Parse(fields[3]));
    }
}

internal static class Services
{
    /// <summary>A service that runs <paramref name="script"/> with /bin/sh; extra <paramref name="args"/> become $1, $2…</summary>
    public static ServiceSpec Shell(string workingDir, string script, params string[] args) => new()
    {
        Name = "svc",
        Command = "/bin/sh",
        Args = ["-c", script, "sh", .. args],
        WorkingDir = workingDir,
    };

    public static LaunchRequest Request(ServiceSpec service, LogRecorder log, int? port = null, IReadOnlyDictionary<string, string>? environment = null) =>
        new(service, port ?? TestPorts.Free(), environment ?? ImmutableDictionary<string, string>.Empty, log.Log);

    /// <summary>Parses <c>name=value</c> out of a log line.</summary>
    public static int IntAfter(string line, string name)
    {
        var start = line.IndexOf(name + "=", StringComparison.Ordinal) + name.Length + 1;
        var end = line.IndexOf(' ', start);
        return int.Parse(end < 0 ? line[start..] : line[start..end]);
    }
}
