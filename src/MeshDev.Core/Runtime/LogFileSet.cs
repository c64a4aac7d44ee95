using System.Globalization;
using MeshDev.Catalog;

namespace MeshDev.Runtime;

/// <summary>
/// The files of one rotated service log: <c>{service}.log</c> (being written), <c>{service}.log.1</c> (the one before)
/// … <c>{service}.log.N</c>, and <c>{service}.log.rotated</c>, which counts the rotations and the bytes of the files
/// deleted so far, so that readers can say how much is gone, also when no mesh runs.
/// </summary>
public static class LogFileSet
{
    /// <summary>The file <paramref name="index"/> rotations old: the current one for 0.</summary>
    public static string PathOf(string path, int index) => index == 0 ? path : $"{path}.{index.ToString(CultureInfo.InvariantCulture)}";

    internal static string StatePath(string path) => path + ".rotated";

    /// <summary>How many times the log was rotated and how many bytes were deleted with its oldest files.</summary>
    public static (long Rotations, long DroppedBytes) ReadState(string path)
    {
        try
        {
            var parts = File.ReadAllText(StatePath(path)).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length == 2
                && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var rotations)
                && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var dropped))
            {
                return (rotations, dropped);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return (0, 0);
    }

    internal static void WriteState(string path, long rotations, long droppedBytes)
    {
        // Written aside and renamed over: a reader never sees half a record.
        var state = StatePath(path);
        File.WriteAllText(state + ".tmp", $"{rotations.ToString(CultureInfo.InvariantCulture)} {droppedBytes.ToString(CultureInfo.InvariantCulture)}\n");
        File.Move(state + ".tmp", state, overwrite: true);
    }

    /// <summary>
    /// Opens every file of the log that exists, oldest first; open handles keep reading the same files when the writer
    /// rotates them meanwhile. The caller disposes the result.
    /// </summary>
    public static LogSnapshot Open(string path)
    {
        var (rotations, dropped) = ReadState(path);
        var files = new List<FileStream>();
        var kept = 0L;
        for (var index = LogRotation.MaxKeep; index >= 0; index--)
        {
            var file = PathOf(path, index);
            if (!File.Exists(file))
            {
                continue;
            }

            try
            {
                var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 64 * 1024, useAsync: true);
                files.Add(stream);
                kept += stream.Length;
            }
            catch (FileNotFoundException)
            {
            }
        }

        return new LogSnapshot(path, files, rotations, dropped, kept);
    }
}

/// <summary>The files of a log opened at one moment, oldest first, and what the rotations dropped before them.</summary>
public sealed class LogSnapshot(string path, IReadOnlyList<FileStream> files, long rotations, long droppedBytes, long keptBytes) : IDisposable
{
    public string Path { get; } = path;
    public IReadOnlyList<FileStream> Files { get; } = files;
    public long Rotations { get; } = rotations;
    public long DroppedBytes { get; } = droppedBytes;
    public long KeptBytes { get; } = keptBytes;

    /// <summary>The note a reader shows when the lines it was asked for may have been rotated away.</summary>
    public LogEntry DroppedNotice() => new(
        null,
        $"(older lines rotated away: {LogRotation.FormatSize(KeptBytes)} kept of {LogRotation.FormatSize(KeptBytes + DroppedBytes)} written; mesh.logs in the manifest sets how much is kept)",
        Notice: true);

    public void Dispose()
    {
        foreach (var file in Files)
        {
            file.Dispose();
        }
    }
}
