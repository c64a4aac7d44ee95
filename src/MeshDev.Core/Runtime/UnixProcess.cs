using System.Globalization;
using System.Runtime.InteropServices;

namespace MeshDev.Runtime;

/// <summary>The few POSIX process primitives .NET does not expose: signalling a process group and reading start times.</summary>
public static partial class UnixProcess
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigStop = 19;

    /// <summary>Sends <paramref name="signal"/> to every process of group <paramref name="pgid"/>. False when the group no longer exists.</summary>
    public static bool SignalGroup(int pgid, int signal) => pgid > 1 && Signal(-pgid, signal);

    /// <summary>Sends <paramref name="signal"/> to one process. False when it no longer exists (or is not ours).</summary>
    public static bool SignalProcess(int pid, int signal) => pid > 1 && Signal(pid, signal);

    /// <summary>The start time of a process in clock ticks since boot (field 22 of <c>/proc/{pid}/stat</c>); distinguishes a process from a later one that reuses its pid.</summary>
    public static long? TryGetStartTime(int pid) => TryReadStat(pid, out var stat) ? stat.StartTime : null;

    /// <summary>The process group of a process (field 5 of <c>/proc/{pid}/stat</c>); null when it is gone.</summary>
    public static int? TryGetProcessGroup(int pid) => TryReadStat(pid, out var stat) ? stat.ProcessGroup : null;

    /// <summary>The parent of a process (field 4 of <c>/proc/{pid}/stat</c>); null when it is gone.</summary>
    public static int? TryGetParent(int pid) => TryReadStat(pid, out var stat) ? stat.Parent : null;

    /// <summary>True when the process exists and is not a zombie.</summary>
    public static bool IsAlive(int pid) => TryReadStat(pid, out var stat) && stat.State is not ('Z' or 'X');

    /// <summary><paramref name="pid"/> and every ancestor of it up to init: processes a cleanup must never signal.</summary>
    public static HashSet<int> SelfAndAncestors(int pid)
    {
        var chain = new HashSet<int>();
        // The chain ends at pid 1 (or 0 above it); a loop cannot happen, but a bound costs nothing.
        for (var current = pid; current > 0 && chain.Count < 1024 && chain.Add(current);)
        {
            current = TryGetParent(current) ?? 0;
        }

        return chain;
    }

    // ESRCH (gone) and EPERM (pid reused by someone else's process) both mean "nothing of ours to signal": never an error.
    private static bool Signal(int target, int signal) => Kill(target, signal) == 0;

    private static bool TryReadStat(int pid, out Stat result)
    {
        result = default;
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
        // fields[0] is field 3 (state), so field 4 (ppid) is fields[1], 5 (pgrp) fields[2] and 22 (starttime) fields[19].
        if (fields.Length < 20 || fields[0].Length != 1
            || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent)
            || !int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var group)
            || !long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var startTime))
        {
            return false;
        }

        result = new Stat(fields[0][0], parent, group, startTime);
        return true;
    }

    private readonly record struct Stat(char State, int Parent, int ProcessGroup, long StartTime);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int sig);
}
