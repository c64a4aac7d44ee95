using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace MeshDev.Bench;

/// <summary>One process the bench started, in its own process group when <c>setsid</c> exists (pgid == pid).</summary>
internal sealed class Child(Process process, bool ownGroup, long startTime)
{
    public Process Process { get; } = process;
    public int Pid { get; } = process.Id;
    public bool OwnGroup { get; } = ownGroup;
    public long StartTime { get; } = startTime;
}

/// <summary>
/// Starts and kills the bench's own child processes (direct service instances, nginx, wrk). Every live process group
/// is recorded in a file ("pgid starttime" per line, the format of the mesh's own pid files), so that run.sh can kill
/// what is left if the bench itself is killed with SIGKILL.
/// </summary>
internal sealed partial class ChildProcesses : IDisposable
{
    public const int SigTerm = 15;
    private const int SigKill = 9;
    private static readonly string? Setsid = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);

    private readonly string _registry;
    private readonly Lock _gate = new();
    private readonly List<Child> _live = [];

    public ChildProcesses(string registryFile)
    {
        _registry = registryFile;
        Write();
    }

    /// <summary>Starts <paramref name="command"/> in a new session (so the whole tree can be killed at once), stdin closed.</summary>
    /// <param name="environment">Variables set on top of the bench's own environment.</param>
    /// <param name="onLine">Receives every stdout/stderr line; output is drained either way.</param>
    /// <param name="newGroup">False for wrk: it starts nothing of its own, and staying in our group lets a terminal's Ctrl+C reach it too.</param>
    /// <param name="workingDirectory">Null: the bench's own.</param>
    public Child Start(string command, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, Action<string>? onLine = null, bool newGroup = true, string? workingDirectory = null)
    {
        var setsid = newGroup ? Setsid : null;
        var start = new ProcessStartInfo(setsid ?? command)
        {
            WorkingDirectory = workingDirectory ?? "",
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (setsid is not null)
        {
            start.ArgumentList.Add(command);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        DataReceivedEventHandler sink = (_, e) =>
        {
            if (e.Data is { } line)
            {
                onLine?.Invoke(line);
            }
        };
        process.OutputDataReceived += sink;
        process.ErrorDataReceived += sink;
        lock (_gate)
        {
            // Under the lock so that KillAll (Ctrl+C) never misses a process that is being started.
            process.Start();
            var child = new Child(process, setsid is not null, StartTimeOf(process.Id) ?? 0);
            _live.Add(child);
            Write();
            process.StandardInput.Close();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return child;
        }
    }

    /// <summary>
    /// Sends <paramref name="signal"/> to the child alone and gives it <paramref name="grace"/> to exit (nginx's master stops
    /// and reaps its workers on SIGTERM), then kills whatever is left of its group.
    /// </summary>
    public void Stop(Child child, int signal, TimeSpan grace)
    {
        if (!IsLive(child))
        {
            return;
        }

        if (!child.Process.HasExited)
        {
            _ = KillNative(child.Pid, signal);
            child.Process.WaitForExit(grace);
        }

        Kill(child);
    }

    /// <summary>
    /// Runs a load tool (wrk, h2load, tcpbench) in the bench's own process group until it exits, at most
    /// <paramref name="timeout"/>, and returns its output (stdout and stderr); a non-zero exit is printed, not thrown,
    /// so the caller's parser says what is missing.
    /// </summary>
    public async Task<string> RunToEndAsync(string command, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var output = new System.Text.StringBuilder();
        var child = Start(command, arguments, onLine: line =>
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }, newGroup: false);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            await child.Process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        finally
        {
            int? exitCode = null;
            if (child.Process.HasExited)
            {
                child.Process.WaitForExit(); // the parameterless overload also waits until the redirected output is drained
                exitCode = child.Process.ExitCode;
            }

            Kill(child);
            if (exitCode is not 0 && !cancellationToken.IsCancellationRequested)
            {
                Console.Error.WriteLine($"{Path.GetFileName(command)} exited with {exitCode?.ToString(CultureInfo.InvariantCulture) ?? "a timeout"}:\n{output}");
            }
        }

        lock (output)
        {
            return output.ToString();
        }
    }

    /// <summary>SIGKILLs the child's whole process group (or just the child) and waits, bounded, until it is gone.</summary>
    public void Kill(Child child)
    {
        if (!IsLive(child))
        {
            return;
        }

        if (child.OwnGroup)
        {
            _ = KillNative(-child.Pid, SigKill);
        }

        try
        {
            child.Process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        if (!child.Process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            Console.Error.WriteLine($"warning: pid {child.Pid} did not exit within 10 s of SIGKILL");
        }

        lock (_gate)
        {
            _live.Remove(child);
            Write();
        }

        child.Process.Dispose();
    }

    public void KillAll()
    {
        Child[] live;
        lock (_gate)
        {
            live = [.. _live];
        }

        foreach (var child in live)
        {
            Kill(child);
        }
    }

    public void Dispose() => KillAll();

    private bool IsLive(Child child)
    {
        lock (_gate)
        {
            return _live.Contains(child);
        }
    }

    /// <summary>utime + stime of every process in group <paramref name="pgid"/>, in seconds (from /proc).</summary>
    public static double GroupCpuSeconds(int pgid)
    {
        long ticks = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            if (ReadStat(pid) is { } fields && fields.Length > 13 && long.Parse(fields[2], CultureInfo.InvariantCulture) == pgid)
            {
                ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
        }

        return ticks / (double)ClockTicksPerSecond;
    }

    /// <summary>utime + stime of one process, in seconds.</summary>
    public static double ProcessCpuSeconds(int pid) =>
        ReadStat(pid) is { Length: > 13 } fields
            ? (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / (double)ClockTicksPerSecond
            : 0;

    private static long ClockTicksPerSecond { get; } = Math.Max(1, SysConf(2 /* _SC_CLK_TCK */));

    private static long? StartTimeOf(int pid) =>
        ReadStat(pid) is { Length: > 19 } fields ? long.Parse(fields[19], CultureInfo.InvariantCulture) : null;

    // Fields after the parenthesised comm: [0] = field 3 (state), [2] = field 5 (pgrp), [11] = utime, [12] = stime, [19] = starttime.
    private static string[]? ReadStat(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        var close = stat.LastIndexOf(')');
        return close < 0 ? null : stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    private void Write()
    {
        var lines = _live.Where(c => c.OwnGroup).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Pid} {c.StartTime}\n"));
        var temporary = _registry + ".tmp";
        File.WriteAllText(temporary, string.Concat(lines));
        File.Move(temporary, _registry, overwrite: true);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);
}
