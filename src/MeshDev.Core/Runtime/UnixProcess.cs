using System.Globalization;
using System.Runtime.InteropServices;

namespace MeshDev.Runtime;

/// <summary>The few POSIX process primitives .NET does not expose: signalling a process group and reading start times.</summary>
public static partial class UnixProcess
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    /// <summary>Sends <paramref name="signal"/> to every process of group <paramref name="pgid"/>. False when the group no longer exists.</summary>
    public static bool SignalGroup(int pgid, int signal) => pgid > 1 && Signal(-pgid, signal);

    /// <summary>Sends <paramref name="signal"/> to one process. False when it no longer exists (or is not ours).</summary>
    public static bool SignalProcess(int pid, int signal) => pid > 1 && Signal(pid, signal);

    /// <summary>The start time of a process in clock ticks since boot (field 22 of <c>/proc/{pid}/stat</c>); distinguishes a process from a later one that reuses its pid.</summary>
    public static long? TryGetStartTime(int pid) => TryReadStat(pid, out _, out var startTime) ? startTime : null;

    /// <summary>True when the process exists and is not a zombie.</summary>
    public static bool IsAlive(int pid) => TryReadStat(pid, out var state, out _) && state is not ('Z' or 'X');

    // ESRCH (gone) and EPERM (pid reused by someone else's process) both mean "nothing of ours to signal": never an error.
    private static bool Signal(int target, int signal) => Kill(target, signal) == 0;

    private static bool TryReadStat(int pid, out char state, out long startTime)
    {
        state = default;
        startTime = 0;
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        // Field 2 (comm) is parenthesised and may itself contain spaces and parentheses: split after the last ')'.
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return false;
        }

        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
        if (fields.Length < 20 || fields[0].Length != 1 || !long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out startTime))
        {
            return false;
        }

        state = fields[0][0];
        return true;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int sig);
}
