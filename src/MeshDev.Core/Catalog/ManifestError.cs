namespace MeshDev.Catalog;

/// <summary>One problem found in a manifest, printed as <c>FILE:LINE:COL: message</c>.</summary>
public sealed record ManifestError(SourceLocation Location, string Message)
{
    public override string ToString() => $"{Location}: {Message}";
}

/// <summary>Thrown when a manifest has one or more problems; carries all of them.</summary>
public sealed class ManifestException(IReadOnlyList<ManifestError> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<ManifestError> Errors { get; } = errors;
}
