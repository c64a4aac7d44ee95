using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Catalog;

/// <summary>Collects every problem found while reading one manifest, so the user can fix them all in one go.</summary>
internal sealed class ManifestDiagnostics(string filePath)
{
    private readonly List<ManifestError> _errors = [];

    public string FilePath => filePath;

    public bool HasErrors => _errors.Count > 0;

    /// <summary>The problems found so far, in file order.</summary>
    public IReadOnlyList<ManifestError> Errors =>
        _errors.Distinct().OrderBy(e => e.Location.Line).ThenBy(e => e.Location.Column).ToList();

    public SourceLocation At(YamlNode node) => At(node.Start);

    // Clamped: a parser mark is 1-based, but one made by hand for an empty text could say 0.
    public SourceLocation At(Mark mark) => new(filePath, (int)Math.Max(1, mark.Line), (int)Math.Max(1, mark.Column));

    public void Report(YamlNode node, string message) => Report(At(node), message);

    public void Report(SourceLocation location, string message) => _errors.Add(new ManifestError(location, message));

    public void ThrowIfAny()
    {
        if (HasErrors)
        {
            throw new ManifestException(Errors);
        }
    }
}
