using System.Collections.Immutable;
using MeshDev.Catalog;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Authoring.Compose;

/// <summary>Collects the findings of one import, so the user sees everything that changed at once.</summary>
internal sealed class ComposeFindings(string composePath)
{
    private readonly List<ComposeFinding> _findings = [];

    /// <summary>The compose file as the user named it; findings and the paths of the files it refers to start from it.</summary>
    public string ComposePath => composePath;

    public void Report(YamlNode node, string message) => Report(node.Start, message);

    public void Report(Mark mark, string message) => Report(composePath, (int)mark.Line, (int)mark.Column, message);

    public void Report(string file, int line, int column, string message) =>
        _findings.Add(new ComposeFinding(new SourceLocation(file, line, column), message));

    /// <summary>
    /// The findings in the order a reader goes through the files: the compose file first, then the files it refers to in
    /// the order they were met, each by line and column. A node merged into several services (an anchor) reports each
    /// service's finding at the same place; identical findings (an env file read by several services) are shown once.
    /// </summary>
    public ImmutableArray<ComposeFinding> ToImmutableArray()
    {
        var files = _findings.Select(f => f.Location.File).Prepend(composePath).Distinct(StringComparer.Ordinal).ToList();
        return [.. _findings
            .Distinct()
            .OrderBy(f => files.IndexOf(f.Location.File))
            .ThenBy(f => f.Location.Line)
            .ThenBy(f => f.Location.Column)];
    }
}
