using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Catalog;

/// <summary>
/// Turns the text of a manifest or a compose file into the root node of its first YAML document, or reports why it cannot, as
/// sentences located at FILE:LINE:COL. Whatever the text, this returns or reports: the parser's own failures are caught and
/// explained here, and alias bombs and deep nesting are refused before they are expanded.
/// </summary>
internal static class ManifestYaml
{
    /// <summary>The root node; null when the text is not one usable YAML document (reported).</summary>
    /// <param name="kind">What the file is, for what only the kind of file decides; default: a manifest.</param>
    public static YamlNode? Load(string yaml, ManifestDiagnostics diagnostics, YamlFileKind? kind = null)
    {
        kind ??= YamlFileKind.Manifest;
        var parser = new BoundedParser(new Parser(new StringReader(yaml)), diagnostics, kind.Name);
        var stream = new YamlStream();
        try
        {
            stream.Load(parser);
        }
        catch (BoundedParser.RefusedException)
        {
            return null;
        }
        catch (YamlException) when (!parser.ParserFailed && parser.FoundDuplicate)
        {
            // The model stops at the first duplicate key; read on so every duplicate (and any later syntax error) is reported.
            ReadToEnd(parser, yaml, diagnostics);
            return null;
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException)
        {
            Report(e, parser, yaml, diagnostics);
            return null;
        }

        // Reading on would meet the same text again as a path or an argument; the located reports say it all.
        if (parser.FoundDuplicate || parser.FoundNul)
        {
            return null;
        }

        if (stream.Documents.Count == 0)
        {
            diagnostics.Report(new SourceLocation(diagnostics.FilePath, 1, 1), kind.EmptyMessage);
            return null;
        }

        if (stream.Documents.Count > 1)
        {
            diagnostics.Report(stream.Documents[1].RootNode, kind.SecondDocumentMessage);
        }

        return stream.Documents[0].RootNode;
    }

    private static void ReadToEnd(BoundedParser parser, string yaml, ManifestDiagnostics diagnostics)
    {
        try
        {
            while (parser.MoveNext())
            {
            }
        }
        catch (BoundedParser.RefusedException)
        {
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException)
        {
            Report(e, parser, yaml, diagnostics);
        }
    }

    private static void Report(Exception e, BoundedParser parser, string yaml, ManifestDiagnostics diagnostics)
    {
        var (at, message) = e is YamlException yamlError
            ? YamlErrorText.Explain(yamlError, yaml, parser.InnermostFlow)
            : YamlErrorText.ExplainUnreadable(parser.LastMark, parser.InnermostFlow);
        diagnostics.Report(diagnostics.At(at), message);
    }
}
