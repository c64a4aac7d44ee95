using System.Globalization;

namespace MeshDev.Calls;

/// <summary>
/// Who listens on a loopback port, found in <c>/proc</c>: a port conflict is fixed by stopping a program, so the
/// message names it (pid, command line, and the folder it runs in, which tells one checkout's mesh from another's).
/// </summary>
public static class PortListeners
{
    private const int MaxCommandLine = 200;

    /// <summary>The processes holding a socket that listens on <paramref name="port"/>, lowest pid first; empty when none is visible to this user.</summary>
    public static IReadOnlyList<int> Of(int port)
    {
        var inodes = ProcNetTcp.Read(new HashSet<int> { port })
            .Where(s => s.State == ProcNetTcp.Listen && s.Inode != 0)
            .Select(s => s.Inode)
            .ToHashSet();
        return inodes.Count == 0 ? [] : [.. ProcProcesses.FindOwners(inodes, ProcProcesses.All()).Values.Distinct().Order()];
    }

    /// <summary>The command line of <paramref name="pid"/>, cut to a length a one-line message can hold.</summary>
    public static string CommandLine(int pid) => ProcProcesses.CommandLine(pid) is { } command
        ? command.Length <= MaxCommandLine ? command : command[..MaxCommandLine] + "…"
        : "command line unknown";

    /// <summary>
    /// <c>held by pid 1234 (ncat -lk 15000, in /home/me/shop)</c> for the lowest pid listening on
    /// <paramref name="port"/>, or a sentence saying no such process is visible (another user's, a container's).
    /// </summary>
    public static string HeldBy(int port)
    {
        if (Of(port) is not [var pid, ..])
        {
            return "held by a process this user cannot see (another user's or a container's)";
        }

        var folder = WorkingDirectory(pid) is { } directory ? $", in {directory}" : "";
        return $"held by pid {pid.ToString(CultureInfo.InvariantCulture)} ({CommandLine(pid)}{folder})";
    }

    private static string? WorkingDirectory(int pid)
    {
        try
        {
            return new FileInfo($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cwd").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
