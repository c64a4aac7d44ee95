using System.Formats.Tar;

namespace MeshDev.Testing.Docker;

/// <summary>
/// A root filesystem (or build context) as an in-memory tar stream for <c>docker import</c> and the build API. Every entry
/// is owned by root with a fixed modification time, so the same content gives the same bytes and the same
/// <see cref="ContentHash"/>: that hash names the image tag, which is how a second run finds the image already built.
/// </summary>
internal sealed class RootfsTarball
{
    private static readonly DateTimeOffset FixedTime = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private const UnixFileMode DirectoryMode = (UnixFileMode)0b111_101_101; // 0755
    private const UnixFileMode ExecutableMode = (UnixFileMode)0b111_101_101; // 0755
    private const UnixFileMode FileMode = (UnixFileMode)0b110_100_100; // 0644

    private readonly MemoryStream _buffer = new();
    private readonly TarWriter _writer;
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal);
    private bool _sealed;

    public RootfsTarball()
    {
        // Ustar rather than PAX: PAX entries record access and change times of "now", which would change the hash every run.
        _writer = new TarWriter(_buffer, TarEntryFormat.Ustar, leaveOpen: true);
    }

    /// <summary>Adds a directory (and its parents) unless it is there already.</summary>
    public RootfsTarball Directory(string path, UnixFileMode mode = DirectoryMode)
    {
        var name = Relative(path).TrimEnd('/');
        if (name.Length == 0 || !_directories.Add(name))
        {
            return this;
        }

        if (Path.GetDirectoryName(name) is { Length: > 0 } parent)
        {
            Directory(parent);
        }

        Write(new UstarTarEntry(TarEntryType.Directory, name + "/") { Mode = mode });
        return this;
    }

    /// <summary>Adds a regular file with <paramref name="content"/>, creating its directories.</summary>
    public RootfsTarball File(string path, ReadOnlySpan<byte> content, bool executable = false)
    {
        var name = Relative(path);
        Parent(name);
        Write(new UstarTarEntry(TarEntryType.RegularFile, name)
        {
            Mode = executable ? ExecutableMode : FileMode,
            DataStream = new MemoryStream(content.ToArray(), writable: false),
        });
        return this;
    }

    /// <summary>Adds a text file (UTF-8).</summary>
    public RootfsTarball File(string path, string text) => File(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Adds a symbolic link at <paramref name="path"/> pointing to <paramref name="target"/>.</summary>
    public RootfsTarball Symlink(string path, string target)
    {
        var name = Relative(path);
        Parent(name);
        Write(new UstarTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target, Mode = ExecutableMode });
        return this;
    }

    /// <summary>Closes the archive and returns its bytes; nothing can be added afterwards.</summary>
    public byte[] ToArray()
    {
        if (!_sealed)
        {
            _writer.Dispose();
            _sealed = true;
        }

        return _buffer.ToArray();
    }

    /// <summary>Lowercase hex SHA-256 of the archive and of <paramref name="extra"/> (what else defines the image: CMD, labels…).</summary>
    public string ContentHash(params string[] extra) => ImageTags.Hash(ToArray(), extra);

    private void Parent(string name)
    {
        if (Path.GetDirectoryName(name) is { Length: > 0 } parent)
        {
            Directory(parent);
        }
    }

    private void Write(UstarTarEntry entry)
    {
        if (_sealed)
        {
            throw new InvalidOperationException("the tarball is already closed");
        }

        entry.ModificationTime = FixedTime;
        entry.Uid = 0;
        entry.Gid = 0;
        entry.UserName = "root";
        entry.GroupName = "root";
        _writer.WriteEntry(entry);
    }

    // Docker reads entries relative to the root; a leading slash would be stripped anyway, and "./" only adds noise.
    private static string Relative(string path) => path.TrimStart('/');
}
