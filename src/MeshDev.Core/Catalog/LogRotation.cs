using System.Globalization;

namespace MeshDev.Catalog;

/// <summary>
/// How much of each service's output the mesh keeps on disk (<c>mesh: logs: { maxSize: 10MB, keep: 3 }</c>): the log
/// file is renamed to <c>.1</c> (<c>.1</c> to <c>.2</c> …) before a line would take it past <see cref="MaxSize"/>, and at
/// most <see cref="Keep"/> files are kept, the current one included, as with Docker's <c>max-size</c>/<c>max-file</c>.
/// </summary>
/// <param name="MaxSize">Bytes per file; a single longer line still goes into one file.</param>
/// <param name="Keep">Files per service, the current one included (1: the file starts over when full).</param>
public sealed record LogRotation(long MaxSize, int Keep)
{
    public const long DefaultMaxSize = 10 * 1024 * 1024;
    public const int DefaultKeep = 3;
    public const long MinSize = 1024;
    public const int MaxKeep = 100;

    public static LogRotation Default { get; } = new(DefaultMaxSize, DefaultKeep);

    /// <summary>The most the files of one service hold: <see cref="MaxSize"/> × <see cref="Keep"/> (plus one line longer than a file).</summary>
    public long Bound => MaxSize * Keep;

    /// <summary>A size as messages show it: <c>10 MB</c>, <c>1.5 KB</c>, <c>512 B</c> (1 KB = 1024 bytes, as in the manifest).</summary>
    public static string FormatSize(long bytes) => bytes switch
    {
        >= 1L << 30 => Scaled(bytes, 1L << 30, "GB"),
        >= 1L << 20 => Scaled(bytes, 1L << 20, "MB"),
        >= 1L << 10 => Scaled(bytes, 1L << 10, "KB"),
        _ => $"{bytes} B",
    };

    private static string Scaled(long bytes, long unit, string suffix) =>
        ((double)bytes / unit).ToString("0.#", CultureInfo.InvariantCulture) + " " + suffix;
}
