namespace MeshDev.Authoring.Profiles;

/// <summary>What happens to a file: created, updated, or left as it is.</summary>
public enum ProfileFileStatus
{
    Created,
    Updated,
    Unchanged,
}

/// <summary>One file the profiles go into: its bytes before (null when it does not exist) and after the merge.</summary>
public sealed class ProfileFile(string path, byte[]? before, byte[] after)
{
    public string Path { get; } = path;

    public byte[]? Before { get; } = before;

    public byte[] After { get; } = after;

    public ProfileFileStatus Status => Before is null
        ? ProfileFileStatus.Created
        : Before.AsSpan().SequenceEqual(After) ? ProfileFileStatus.Unchanged : ProfileFileStatus.Updated;

    /// <summary>Writes <see cref="After"/> unless nothing changed (a new file, or atomically over the old one).</summary>
    public void Write()
    {
        if (Status != ProfileFileStatus.Unchanged)
        {
            AtomicFile.Write(Path, After);
        }
    }
}
