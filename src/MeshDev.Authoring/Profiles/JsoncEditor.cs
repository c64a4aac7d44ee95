using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MeshDev.Authoring.Profiles;

/// <summary>
/// Merges values into a JSONC file by splicing its bytes: an object member or an array item is replaced in place or
/// inserted before the closing brace or bracket, in the file's own newline and indentation, with the comma where JSON
/// needs it. Every other byte — comments, order, whitespace, other entries, a byte order mark — stays as it was, and a
/// value that is already there as it would be written is left alone, so merging twice changes nothing.
/// </summary>
internal sealed class JsoncEditor
{
    private static readonly byte[] ByteOrderMark = [0xEF, 0xBB, 0xBF];

    private readonly bool _byteOrderMark;
    private readonly JsoncLayout _layout;
    private byte[] _text;

    /// <param name="file">The file's bytes; null (no file) or only whitespace starts from an empty object.</param>
    /// <param name="defaultIndent">The indent unit when the file shows none (a new or one-line file).</param>
    /// <exception cref="JsoncException">The file is not valid JSONC.</exception>
    public JsoncEditor(byte[]? file, string defaultIndent)
    {
        file ??= [];
        _byteOrderMark = file.AsSpan().StartsWith(ByteOrderMark);
        _text = _byteOrderMark ? file[ByteOrderMark.Length..] : file;
        if (_text.AsSpan().Trim(" \t\r\n"u8).IsEmpty)
        {
            _text = "{\n}\n"u8.ToArray();
        }

        Root = JsoncParser.Parse(_text);
        _layout = JsoncLayout.Detect(_text, Root, defaultIndent);
    }

    /// <summary>The root value as the text stands now; read it again after every edit (offsets move).</summary>
    public JsoncValue Root { get; private set; }

    /// <summary>The file's bytes with the edits made so far.</summary>
    public byte[] ToBytes() => _byteOrderMark ? [.. ByteOrderMark, .. _text] : [.. _text];

    /// <summary>A problem at <paramref name="value"/>, located as line and column of the current text.</summary>
    public JsoncException ProblemAt(JsoncValue value, string message) => JsoncException.At(_text, value.Start, message);

    /// <summary>Sets member <paramref name="name"/> of <paramref name="obj"/>: its value is replaced when it exists, else the member is added last.</summary>
    public void SetMember(JsoncValue obj, string name, JsonNode value)
    {
        if (obj.Members.FirstOrDefault(m => m.Name == name) is { } existing)
        {
            Replace(existing.Value, value, JsoncLayout.LineIndent(_text, existing.NameStart));
            return;
        }

        Insert(obj, obj.Members.Count == 0 ? null : obj.Members[^1].Value.End, $"{JsoncRenderer.Quote(name)}: ", value);
    }

    /// <summary>Sets the first item of <paramref name="array"/> that <paramref name="matches"/>, or adds <paramref name="value"/> as the last item.</summary>
    public void SetItem(JsoncValue array, Func<JsoncValue, bool> matches, JsonNode value)
    {
        if (array.Items.FirstOrDefault(matches) is { } existing)
        {
            Replace(existing, value, JsoncLayout.LineIndent(_text, existing.Start));
            return;
        }

        Insert(array, array.Items.Count == 0 ? null : array.Items[^1].End, "", value);
    }

    private void Replace(JsoncValue existing, JsonNode value, string indent)
    {
        var rendered = Encoding.UTF8.GetBytes(JsoncRenderer.Render(value, _layout, indent));
        if (!_text.AsSpan(existing.Start, existing.End - existing.Start).SequenceEqual(rendered))
        {
            Apply([new Splice(existing.Start, existing.End - existing.Start, rendered)]);
        }
    }

    /// <summary>Adds an entry after the last one (<paramref name="lastEnd"/>, null when the container is empty).</summary>
    private void Insert(JsoncValue container, int? lastEnd, string prefix, JsonNode value)
    {
        var open = container.Start;
        var close = container.End - 1;
        var containerIndent = JsoncLayout.LineIndent(_text, open);

        // Entries go where the existing ones are indented; in an empty or one-line container, one unit deeper than its line.
        var entryIndent = JsoncLayout.EntryStarts(container).FirstOrDefault(-1) is var first and >= 0
            && JsoncLayout.StartsLine(_text, first)
            && JsoncLayout.LineStart(_text, first) != JsoncLayout.LineStart(_text, open)
            ? JsoncLayout.LineIndent(_text, first)
            : containerIndent + _layout.IndentUnit;
        var entry = entryIndent + prefix + JsoncRenderer.Render(value, _layout, entryIndent);

        // Between the last entry (or the opening brace) and the closing one: whitespace, comments, maybe a trailing comma.
        var gap = Trivia.Scan(_text, lastEnd ?? open + 1, close);
        var needsComma = lastEnd is not null && gap.Comma is null;

        // A file that ends its last entry with a comma keeps doing so after the new last entry.
        var trailing = gap.Comma is not null ? "," : "";
        var closeLine = JsoncLayout.LineStart(_text, close);
        var splices = new List<Splice>();
        if (closeLine > gap.End && JsoncLayout.StartsLine(_text, close))
        {
            // The closing brace has its own line: the entry becomes the line before it, after any comments.
            if (needsComma)
            {
                // Right after the value, never after a comment that follows it (where a comma would be commented out).
                splices.Add(new Splice(lastEnd!.Value, 0, ","u8.ToArray()));
            }

            splices.Add(new Splice(closeLine, 0, Encoding.UTF8.GetBytes(entry + trailing + _layout.NewLine)));
        }
        else
        {
            // `{}`, `{ }`, `{ "a": 1 }`: the entry gets its own line, and the closing brace a line of its own after it.
            var lead = "";
            if (needsComma && gap.End == lastEnd)
            {
                lead = ",";
            }
            else if (needsComma)
            {
                splices.Add(new Splice(lastEnd!.Value, 0, ","u8.ToArray()));
            }

            var text = lead + _layout.NewLine + entry + trailing + _layout.NewLine + containerIndent;
            splices.Add(new Splice(gap.End, close - gap.End, Encoding.UTF8.GetBytes(text)));
        }

        Apply(splices);
    }

    private void Apply(List<Splice> splices)
    {
        var text = new List<byte>(_text);
        foreach (var splice in splices.OrderByDescending(s => s.At))
        {
            text.RemoveRange(splice.At, splice.Remove);
            text.InsertRange(splice.At, splice.Insert);
        }

        _text = [.. text];
        Root = JsoncParser.Parse(_text);
    }

    private readonly record struct Splice(int At, int Remove, byte[] Insert);
}
