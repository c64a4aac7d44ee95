using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace MeshDev.Catalog;

/// <summary>
/// Finds keys written twice in one mapping. The representation model throws at the first one it meets,
/// so this pass over the parser events runs first and lets the user see every duplicate at once.
/// </summary>
internal static class DuplicateKeyFinder
{
    /// <summary>Reports every duplicate key; true if there was any. Throws <see cref="YamlException"/> on invalid YAML.</summary>
    public static bool Report(string yaml, ManifestDiagnostics diagnostics)
    {
        var parser = new Parser(new StringReader(yaml));
        // One frame per open collection; null for sequences, whose items are not keys.
        var open = new Stack<MappingFrame?>();
        var found = false;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case MappingStart start:
                    found |= OnNode(open, start, diagnostics);
                    open.Push(new MappingFrame());
                    break;
                case SequenceStart start:
                    found |= OnNode(open, start, diagnostics);
                    open.Push(null);
                    break;
                case MappingEnd or SequenceEnd:
                    open.Pop();
                    break;
                case Scalar or AnchorAlias:
                    found |= OnNode(open, (NodeEvent)parser.Current, diagnostics);
                    break;
            }
        }

        return found;
    }

    /// <summary>Keys and values alternate inside a mapping; checks the node when it is a key. True if it is a duplicate.</summary>
    private static bool OnNode(Stack<MappingFrame?> open, NodeEvent node, ManifestDiagnostics diagnostics)
    {
        if (!open.TryPeek(out var frame) || frame is null)
        {
            return false;
        }

        var isKey = !frame.NextIsValue;
        frame.NextIsValue = isKey;
        if (!isKey || node is not Scalar key)
        {
            return false;
        }

        if (frame.Keys.TryAdd(key.Value, key.Start))
        {
            return false;
        }

        diagnostics.Report(diagnostics.At(key.Start), $"duplicate key '{key.Value}' (first written on line {frame.Keys[key.Value].Line})");
        return true;
    }

    private sealed class MappingFrame
    {
        public Dictionary<string, Mark> Keys { get; } = new(StringComparer.Ordinal);

        /// <summary>False when the next node is a key, true when it is that key's value.</summary>
        public bool NextIsValue { get; set; }
    }
}
