using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Authoring.Compose;

/// <summary>
/// One <c>runtime: docker</c> service of the manifest being written, with only what the compose file said:
/// null or empty means "leave the key out" (the manifest's default applies).
/// </summary>
internal sealed record ImportedService
{
    public required string Name { get; init; }

    /// <summary>The compose service's name as written, and where: findings about the service as a whole point at it.</summary>
    public required YamlScalarNode ComposeName { get; init; }

    /// <summary>Null only when the compose service has neither <c>image</c> nor <c>build</c> (reported).</summary>
    public string? Image { get; init; }

    /// <summary><c>missing</c> is the default and is left out.</summary>
    public string? Pull { get; init; }

    /// <summary>Replaces the image's ENTRYPOINT.</summary>
    public string? Command { get; init; }

    /// <summary>Replaces the image's CMD; empty is left out.</summary>
    public ImmutableArray<string> Args { get; init; } = [];

    /// <summary>In the order compose would set them (env files first, then <c>environment</c>).</summary>
    public ImmutableArray<KeyValuePair<string, string>> Env { get; init; } = [];

    /// <summary>The working directory inside the container (absolute).</summary>
    public string? WorkingDir { get; init; }

    public int? Port { get; init; }

    public int? MeshPort { get; init; }

    /// <summary><c>tcp</c> or null (http, the default).</summary>
    public string? Protocol { get; init; }

    public ImmutableArray<string> Volumes { get; init; } = [];

    public ImmutableArray<string> DependsOn { get; init; } = [];

    /// <summary>The command of <c>ready: { exec: [...] }</c>; null when the probe is not exec.</summary>
    public ImmutableArray<string>? ReadyExec { get; init; }

    /// <summary>True writes <c>ready: { tcp: true }</c> (a disabled compose healthcheck).</summary>
    public bool ReadyTcp { get; init; }

    /// <summary>A manifest duration like <c>30s</c>.</summary>
    public string? StopGracePeriod { get; init; }
}
