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

    public SourceLocation At(Mark mark) => new(filePath, (int)mark.Line, (int)mark.Column);

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
