using System.Formats.Tar;
using System.Security.Cryptography;

namespace MeshDev.Docker;

/// <summary>
/// A <c>docker build</c> context as an in-memory tar. Every entry is root's, with a fixed time, so the same files give
/// the same bytes and the same <see cref="Hash"/>: an image tagged with that hash is found again, not rebuilt.
/// </summary>
internal sealed class BuildContext
{
    private static readonly DateTimeOffset FixedTime = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private const UnixFileMode DirectoryMode = (UnixFileMode)0b111_101_101; // 0755
    private const UnixFileMode ExecutableMode = (UnixFileMode)0b111_101_101; // 0755
    private const UnixFileMode FileMode = (UnixFileMode)0b110_100_100; // 0644
    private readonly List<(string Name, byte[]? Content, UnixFileMode Mode)> _entries = [];
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal);
    private byte[]? _bytes;

    /// <summary>Adds a regular file (and its folders) at <paramref name="path"/>, relative to the context's root.</summary>
    public BuildContext File(string path, byte[] content, bool executable = false)
    {
        if (_bytes is not null)
        {
            throw new InvalidOperationException("the build context is already written");
        }

        AddDirectories(Path.GetDirectoryName(path));
        _entries.Add((path, content, executable ? ExecutableMode : FileMode));
        return this;
    }

    /// <summary>The archive; nothing can be added afterwards.</summary>
    public byte[] ToArray() => _bytes ??= Write();

    /// <summary>The first 16 hex digits of the archive's SHA-256: enough to tell builds apart, short enough for a tag.</summary>
    public string Hash() => Convert.ToHexStringLower(SHA256.HashData(ToArray()))[..16];

    private void AddDirectories(string? path)
    {
        if (string.IsNullOrEmpty(path) || !_directories.Add(path))
        {
            return;
        }

        AddDirectories(Path.GetDirectoryName(path));
        _entries.Add((path + "/", null, DirectoryMode));
    }

    private byte[] Write()
    {
        using var buffer = new MemoryStream();
        // Ustar, not PAX: PAX entries carry access and change times of "now", which would change the hash every time.
        using (var writer = new TarWriter(buffer, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (name, content, mode) in _entries)
            {
                using var data = content is null ? null : new MemoryStream(content, writable: false);
                var entry = new UstarTarEntry(content is null ? TarEntryType.Directory : TarEntryType.RegularFile, name)
                {
                    Mode = mode,
                    ModificationTime = FixedTime,
                    Uid = 0,
                    Gid = 0,
                    UserName = "root",
                    GroupName = "root",
                };
                if (data is not null)
                {
                    entry.DataStream = data;
                }

                writer.WriteEntry(entry);
            }
        }

        return buffer.ToArray();
    }
}
