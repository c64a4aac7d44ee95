using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Catalog;

/// <summary>
/// Turns manifest text into the root node of its single YAML document, or reports why it cannot, as sentences located at
/// FILE:LINE:COL. Whatever the text, this returns or reports: the parser's own failures are caught and explained here.
/// </summary>
internal static class ManifestYaml
{
    /// <summary>The root node; null when the text is not one usable YAML document (reported).</summary>
    public static YamlNode? Load(string yaml, ManifestDiagnostics diagnostics)
    {
        var parser = new BoundedParser(new Parser(new StringReader(yaml)), diagnostics);
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

        if (parser.FoundDuplicate)
        {
            return null;
        }

        if (stream.Documents.Count == 0)
        {
            diagnostics.Report(new SourceLocation(diagnostics.FilePath, 1, 1), "the manifest is empty; declare your services under 'services'");
            return null;
        }

        if (stream.Documents.Count > 1)
        {
            diagnostics.Report(stream.Documents[1].RootNode, "the manifest must be a single YAML document; remove this second one");
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
