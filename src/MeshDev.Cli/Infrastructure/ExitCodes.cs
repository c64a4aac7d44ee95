namespace MeshDev.Cli.Infrastructure;

/// <summary>The exit codes of <c>meshdev</c>, documented in docs/cli.md.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The command could not do its work (mesh not running, port taken, service failed to start…).</summary>
    public const int Failed = 1;

    /// <summary>The manifest is invalid; nothing was started.</summary>
    public const int InvalidManifest = 2;

    /// <summary><c>init</c> would overwrite a manifest without <c>--force</c>: nothing was read or written.</summary>
    public const int WouldOverwrite = 2;

    /// <summary>No such verb (<c>meshdev lauch</c>): like an invalid manifest, the input is wrong and nothing ran.</summary>
    public const int UnknownCommand = 2;
}
