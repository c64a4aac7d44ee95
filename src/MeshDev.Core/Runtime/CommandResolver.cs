namespace MeshDev.Runtime;

/// <summary>Turns a service's <c>command</c> into the absolute path of an executable file, or a <see cref="LaunchException"/> that says what to fix.</summary>
internal static class CommandResolver
{
    private const UnixFileMode AnyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>Absolute paths are used as they are, relative paths with a slash are taken from <paramref name="workingDirectory"/>, bare names are looked up on <paramref name="path"/> and then in <paramref name="workingDirectory"/>.</summary>
    public static string Resolve(string command, string workingDirectory, string? path)
    {
        if (string.IsNullOrWhiteSpace(command))
        {
            throw new LaunchException("the command is empty");
        }

        if (Path.IsPathRooted(command))
        {
            return Check(command, command, $"command '{command}' not found");
        }

        if (command.Contains('/'))
        {
            var candidate = Path.GetFullPath(Path.Combine(workingDirectory, command));
            return Check(candidate, command, $"command '{command}' not found (looked in {workingDirectory})");
        }

        string? notExecutable = null;
        var directories = (path ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Append(workingDirectory);
        foreach (var directory in directories)
        {
            var candidate = Path.Combine(directory, command);
            if (File.Exists(candidate))
            {
                if (IsExecutable(candidate))
                {
                    return candidate;
                }

                // A later directory may still hold an executable one, like a shell's PATH search.
                notExecutable ??= candidate;
            }
        }

        if (notExecutable is not null)
        {
            throw NotExecutable(notExecutable);
        }

        throw new LaunchException($"command '{command}' not found (looked in PATH and {workingDirectory})");
    }

    private static string Check(string candidate, string command, string notFound)
    {
        if (Directory.Exists(candidate))
        {
            throw new LaunchException($"command '{command}' is a directory, not a program");
        }

        if (!File.Exists(candidate))
        {
            throw new LaunchException(notFound);
        }

        return IsExecutable(candidate) ? candidate : throw NotExecutable(candidate);
    }

    private static bool IsExecutable(string file) => OperatingSystem.IsWindows() || (File.GetUnixFileMode(file) & AnyExecute) != 0;

    private static LaunchException NotExecutable(string file) =>
        new($"command '{file}' is not executable; make it executable with 'chmod +x {file}'");
}
