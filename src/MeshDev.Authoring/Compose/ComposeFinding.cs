using MeshDev.Catalog;

namespace MeshDev.Authoring.Compose;

/// <summary>Something of a compose file the manifest does not carry over as written, printed as <c>FILE:LINE:COL: message</c>.</summary>
public sealed record ComposeFinding(SourceLocation Location, string Message)
{
    public override string ToString() => $"{Location}: {Message}";
}
