using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace MeshDev.Catalog;

/// <summary>
/// Passes YamlDotNet's parser events on to the representation model, and stops the load before it meets what it must never see:
/// nesting deep enough to exhaust the stack (or to make the scanner's work grow with the square of the depth), an alias that
/// names no earlier anchor or the node it sits in, and aliases that expand into more values than any manifest holds
/// (a "billion laughs" bomb: the model shares aliased nodes, but merge keys and equality on keys walk them expanded).
/// Duplicate keys are handed to <see cref="DuplicateKeyFinder"/> on the way, and text holding a NUL character is reported.
/// </summary>
internal sealed class BoundedParser(IParser inner, ManifestDiagnostics diagnostics, string fileName = "manifest") : IParser
{
    /// <summary>How deep values may nest, aliases expanded; a manifest needs six levels.</summary>
    public const int MaxDepth = 64;

    /// <summary>How many values the document may hold with every alias expanded.</summary>
    public const long MaxExpandedValues = 1_000_000;

    private readonly DuplicateKeyFinder _duplicates = new(diagnostics);
    private readonly Stack<OpenNode> _open = new();

    // Expanded size and height of each anchored node; null while the node is still open.
    private readonly Dictionary<string, (long Size, int Height)?> _anchors = new(StringComparer.Ordinal);
    private long _expandedValues;

    public ParsingEvent? Current => inner.Current;

    /// <summary>True once a duplicate key was reported.</summary>
    public bool FoundDuplicate => _duplicates.Found;

    /// <summary>True once a value holding a NUL character was reported.</summary>
    public bool FoundNul { get; private set; }

    /// <summary>True once the parser itself threw: it cannot be asked for more events.</summary>
    public bool ParserFailed { get; private set; }

    /// <summary>Where the last event read ended.</summary>
    public Mark LastMark { get; private set; } = new(0, 1, 1);

    /// <summary>The innermost <c>[</c> or <c>{</c> still open, to point at when the text ends before it is closed.</summary>
    public (Mark Start, bool IsMapping)? InnermostFlow =>
        _open.FirstOrDefault(node => node.IsFlow) is { IsFlow: true } flow ? (flow.Start, flow.IsMapping) : null;

    public bool MoveNext()
    {
        bool moved;
        try
        {
            moved = inner.MoveNext();
        }
        catch
        {
            ParserFailed = true;
            throw;
        }

        if (!moved)
        {
            return false;
        }

        var current = inner.Current!;
        LastMark = current.End;
        _duplicates.Observe(current);
        Check(current);
        return true;
    }

    private void Check(ParsingEvent current)
    {
        switch (current)
        {
            case Scalar scalar:
                CheckNul(scalar);
                Add(scalar.Anchor.IsEmpty ? null : scalar.Anchor.Value, size: 1, height: 1);
                break;
            case AnchorAlias alias:
                AddAlias(alias);
                break;
            case NodeEvent collection and (MappingStart or SequenceStart):
                Open(collection);
                break;
            case MappingEnd or SequenceEnd when _open.TryPop(out var node):
                // The collection itself counts as one value, with everything inside it.
                var size = _expandedValues - node.ExpandedBefore + 1;
                _expandedValues = node.ExpandedBefore;
                Add(node.Anchor, size, node.ChildHeight + 1);
                break;
        }
    }

    // A double-quoted "\0" or "\x00" is valid YAML, but no path, argument or environment value can carry it: the OS
    // ends the string there, and .NET's path and process APIs throw. Reported here, once for every file kind.
    private void CheckNul(Scalar scalar)
    {
        if (scalar.Value.Contains('\0', StringComparison.Ordinal))
        {
            FoundNul = true;
            diagnostics.Report(diagnostics.At(scalar.Start), "this value holds a NUL character (\\0), which no path, argument or environment value can carry; remove it");
        }
    }

    private void Open(NodeEvent collection)
    {
        if (_open.Count + 1 > MaxDepth)
        {
            Refuse(collection.Start, $"values are nested more than {MaxDepth} levels deep here; close the '[' or '{{' left open before it, or flatten the value");
        }

        if (!collection.Anchor.IsEmpty)
        {
            _anchors[collection.Anchor.Value] = null;
        }

        var isMapping = collection is MappingStart;
        var isFlow = collection is MappingStart { Style: MappingStyle.Flow } or SequenceStart { Style: SequenceStyle.Flow };
        _open.Push(new OpenNode(collection.Anchor.IsEmpty ? null : collection.Anchor.Value, _expandedValues, collection.Start, isFlow, isMapping));
    }

    private void AddAlias(AnchorAlias alias)
    {
        var name = alias.Value.Value;
        if (!_anchors.TryGetValue(name, out var anchored))
        {
            Refuse(alias.Start, $"alias '*{name}' names no anchor written before it; put '&{name}' on an earlier value, or quote the text if '*' is meant literally");
        }

        if (anchored is not { } found)
        {
            Refuse(alias.Start, $"alias '*{name}' is inside the value anchored '&{name}' itself, which would make that value contain itself; point it at another anchor");
            return;
        }

        var (size, height) = found;
        if (_open.Count + height > MaxDepth)
        {
            Refuse(alias.Start, $"alias '*{name}' nests values more than {MaxDepth} levels deep; use fewer levels of aliases inside aliases");
        }

        if (_expandedValues + size > MaxExpandedValues)
        {
            // Refused before anything walks it: the model would share the node, but merges and key equality would expand it.
            Refuse(alias.Start, $"alias '*{name}' expands the {fileName} to more than {Limit} values (an alias bomb); write shared values once and use fewer levels of aliases inside aliases");
        }

        Add(anchor: null, size, height);
    }

    /// <summary>Counts a finished node (scalar, collection or alias) into its parent.</summary>
    private void Add(string? anchor, long size, int height)
    {
        _expandedValues += size;
        if (_expandedValues > MaxExpandedValues)
        {
            Refuse(inner.Current?.Start ?? LastMark, $"the {fileName} holds more than {Limit} values; split it into smaller {fileName}s");
        }

        if (anchor is not null)
        {
            _anchors[anchor] = (size, height);
        }

        if (_open.TryPeek(out var parent))
        {
            parent.ChildHeight = Math.Max(parent.ChildHeight, height);
        }
    }

    private static string Limit => MaxExpandedValues.ToString("N0", CultureInfo.InvariantCulture);

    private void Refuse(Mark at, string message)
    {
        diagnostics.Report(diagnostics.At(at), message);
        throw new RefusedException();
    }

    /// <summary>Stops the representation model's load after a refusal was reported.</summary>
    public sealed class RefusedException : Exception;

    private sealed class OpenNode(string? anchor, long expandedBefore, Mark start, bool isFlow, bool isMapping)
    {
        public string? Anchor => anchor;

        /// <summary>The document's expanded value count when this node started (the node itself not yet counted).</summary>
        public long ExpandedBefore => expandedBefore;

        public Mark Start => start;

        public bool IsFlow => isFlow;

        public bool IsMapping => isMapping;

        public int ChildHeight { get; set; }
    }
}
