using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace MeshDev.Catalog;

/// <summary>
/// Finds keys written twice in one mapping. The representation model throws at the first one it meets,
/// so this watches the parser events as they go by and lets the user see every duplicate at once.
/// </summary>
internal sealed class DuplicateKeyFinder(ManifestDiagnostics diagnostics)
{
    // One frame per open collection; null for sequences, whose items are not keys.
    private readonly Stack<MappingFrame?> _open = new();

    /// <summary>True once a duplicate key was reported.</summary>
    public bool Found { get; private set; }

    public void Observe(ParsingEvent parsingEvent)
    {
        switch (parsingEvent)
        {
            case MappingStart:
                OnNode(parsingEvent);
                _open.Push(new MappingFrame());
                break;
            case SequenceStart:
                OnNode(parsingEvent);
                _open.Push(null);
                break;
            case MappingEnd or SequenceEnd:
                _open.TryPop(out _);
                break;
            // An alias stands for a whole node, so it takes a key's or a value's turn like any other node.
            case Scalar or AnchorAlias:
                OnNode(parsingEvent);
                break;
        }
    }

    /// <summary>Keys and values alternate inside a mapping; checks the node when it is a key written as a scalar.</summary>
    private void OnNode(ParsingEvent node)
    {
        if (!_open.TryPeek(out var frame) || frame is null)
        {
            return;
        }

        var isKey = !frame.NextIsValue;
        frame.NextIsValue = isKey;
        if (!isKey || node is not Scalar key || frame.Keys.TryAdd(key.Value, key.Start))
        {
            return;
        }

        diagnostics.Report(diagnostics.At(key.Start), $"duplicate key '{key.Value}' (first written on line {frame.Keys[key.Value].Line})");
        Found = true;
    }

    private sealed class MappingFrame
    {
        public Dictionary<string, Mark> Keys { get; } = new(StringComparer.Ordinal);

        /// <summary>False when the next node is a key, true when it is that key's value.</summary>
        public bool NextIsValue { get; set; }
    }
}
