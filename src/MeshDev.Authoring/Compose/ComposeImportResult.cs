using System.Collections.Immutable;

namespace MeshDev.Authoring.Compose;

/// <summary>
/// What an import produced. <see cref="Manifest"/> is null when the input is not a usable compose file (not YAML, no
/// <c>services</c> mapping); the findings then say why. Otherwise the findings are warnings about what was changed or left out.
/// </summary>
public sealed record ComposeImportResult(string? Manifest, int ServiceCount, ImmutableArray<ComposeFinding> Findings)
{
    /// <summary>Every <c>env</c> value whose compose host name was replaced by the mesh's address, in manifest order.</summary>
    public ImmutableArray<ComposeRewrite> Rewrites { get; init; } = [];
}
