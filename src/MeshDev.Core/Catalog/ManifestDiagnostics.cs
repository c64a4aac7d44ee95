using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Catalog;

/// <summary>
/// Collects every problem found while reading one YAML file, so the user can fix them all in one go: a manifest's
/// errors, or the warnings of a compose import (which also point into the env files the compose file names).
/// </summary>
internal sealed class ManifestDiagnostics(string filePath)
{
    private readonly List<(SourceLocation Location, string Message)> _found = [];

    public string FilePath => filePath;

    public bool HasErrors => _found.Count > 0;

    /// <summary>
    /// The problems found so far, each once, in the order a reader goes through the files: this file first, then the
    /// files it names in the order they were met, each by line and column.
    /// </summary>
    public IReadOnlyList<(SourceLocation Location, string Message)> Found
    {
        get
        {
            var files = _found.Select(f => f.Location.File).Prepend(filePath).Distinct(StringComparer.Ordinal).ToList();
            return [.. _found
                .Distinct()
                .OrderBy(f => files.IndexOf(f.Location.File))
                .ThenBy(f => f.Location.Line)
                .ThenBy(f => f.Location.Column)];
        }
    }

    /// <summary>The problems found so far, as a manifest's errors.</summary>
    public IReadOnlyList<ManifestError> Errors => [.. Found.Select(f => new ManifestError(f.Location, f.Message))];

    public SourceLocation At(YamlNode node) => At(node.Start);

    // Clamped: a parser mark is 1-based, but one made by hand for an empty text could say 0.
    public SourceLocation At(Mark mark) => new(filePath, (int)Math.Max(1, mark.Line), (int)Math.Max(1, mark.Column));

    public void Report(YamlNode node, string message) => Report(At(node), message);

    public void Report(Mark mark, string message) => Report(At(mark), message);

    public void Report(SourceLocation location, string message) => _found.Add((location, message));

    public void ThrowIfAny()
    {
        if (HasErrors)
        {
            throw new ManifestException(Errors);
        }
    }
}
