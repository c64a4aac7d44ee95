using System.Globalization;

namespace MeshDev.Runtime;

/// <summary>
/// A record of one launched process group (<c>{stateDir}/pids/{service}.pid</c>: the pgid and the leader's start time), so that
/// <c>meshdev down</c> can kill what a daemon that died without cleaning up had launched.
/// </summary>
internal readonly record struct PidFile(string Path, int ProcessGroupId, long StartTime)
{
    public void Write()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var temporary = Path + ".tmp";
        File.WriteAllText(temporary, string.Create(CultureInfo.InvariantCulture, $"{ProcessGroupId} {StartTime}\n"));
        File.Move(temporary, Path, overwrite: true);
    }

    public static PidFile? TryRead(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var parts = text.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pgid)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var startTime)
            ? new PidFile(path, pgid, startTime)
            : null;
    }

    /// <summary>Deletes the file if it still records this group: a newer instance of the same service may have replaced it.</summary>
    public void DeleteIfCurrent()
    {
        if (TryRead(Path) is { } current && current.ProcessGroupId == ProcessGroupId && current.StartTime == StartTime)
        {
            StateFiles.TryDelete(Path);
        }
    }
}
