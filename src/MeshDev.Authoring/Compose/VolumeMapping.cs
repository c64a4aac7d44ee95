using System.Text.RegularExpressions;

namespace MeshDev.Authoring.Compose;

/// <summary>
/// Turns a compose volume into the manifest's form, <c>SOURCE:TARGET[:ro]</c>: SOURCE is a host path (starting with
/// <c>/</c>, <c>.</c> or <c>~</c>, as compose tells them apart) or a named volume.
/// </summary>
internal static partial class VolumeMapping
{
    /// <summary>What became of one volume entry.</summary>
    /// <param name="Volume">The manifest entry; null when the volume cannot be written (<paramref name="Problem"/> says why).</param>
    /// <param name="Problem">Why it was left out, or what was dropped from it.</param>
    public readonly record struct Result(string? Volume, string? Problem);

    /// <summary>Reads the short syntax <c>SOURCE:TARGET[:MODE]</c>; <paramref name="hostPath"/> makes a host path relative to the manifest.</summary>
    public static Result FromShort(string text, Func<string, string> hostPath)
    {
        var parts = text.Split(':');
        return parts.Length switch
        {
            1 => new Result(null, "is an anonymous volume; give it a name or a host path to keep it in the manifest"),
            2 => Mount(parts[0], parts[1], readOnly: false, hostPath, dropped: []),
            3 => FromMode(parts[0], parts[1], parts[2], hostPath),
            _ => new Result(null, "is not SOURCE:TARGET[:MODE]"),
        };
    }

    /// <summary>A bind mount or named volume; <paramref name="dropped"/> lists options the manifest has no place for.</summary>
    public static Result Mount(string source, string target, bool readOnly, Func<string, string> hostPath, IReadOnlyList<string> dropped)
    {
        if (source.Length == 0)
        {
            return new Result(null, "has no source (a host path or a volume name)");
        }

        if (!target.StartsWith('/'))
        {
            return new Result(null, "needs an absolute path in the container as its target");
        }

        string manifestSource;
        if (IsHostPath(source))
        {
            manifestSource = hostPath(source);
        }
        else if (VolumeName().IsMatch(source))
        {
            manifestSource = source;
        }
        else
        {
            return new Result(null, $"has a source '{source}' that is neither a host path (./…, /…) nor a volume name");
        }

        var problem = dropped.Count == 0 ? null : $"{string.Join(", ", dropped)} {(dropped.Count == 1 ? "is" : "are")} not supported (dropped)";
        return new Result($"{manifestSource}:{target}{(readOnly ? ":ro" : "")}", problem);
    }

    private static Result FromMode(string source, string target, string mode, Func<string, string> hostPath)
    {
        var options = mode.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var dropped = options.Where(option => option is not ("ro" or "rw")).Select(option => $"option '{option}'").ToList();
        return Mount(source, target, options.Contains("ro"), hostPath, dropped);
    }

    private static bool IsHostPath(string source) => source[0] is '/' or '.' or '~';

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    private static partial Regex VolumeName();
}
