using System.Text;
using System.Text.Json;

namespace MeshDev.Authoring.Profiles;

/// <summary>
/// How a JSONC file is laid out — its newline (LF or CRLF) and its indent unit (two spaces, four, a tab…) — so that
/// the text merged into it looks like the rest of the file, plus the line helpers the editor places text with.
/// </summary>
internal sealed record JsoncLayout(string NewLine, string IndentUnit)
{
    /// <summary>
    /// The file's first line break decides the newline. The indent unit is read from the structure, not guessed from
    /// the widest or narrowest indent: the first container whose first entry starts its own line tells how much deeper
    /// that entry sits than the container's own line. Block comments with their " * " continuations cannot fool it.
    /// </summary>
    public static JsoncLayout Detect(ReadOnlySpan<byte> text, JsoncValue root, string defaultIndent)
    {
        var firstBreak = text.IndexOf((byte)'\n');
        var newLine = firstBreak > 0 && text[firstBreak - 1] == '\r' ? "\r\n" : "\n";
        return new JsoncLayout(newLine, FindIndentUnit(text, root) ?? defaultIndent);
    }

    /// <summary>The offset where the line holding <paramref name="offset"/> starts.</summary>
    public static int LineStart(ReadOnlySpan<byte> text, int offset) => text[..offset].LastIndexOf((byte)'\n') + 1;

    /// <summary>The spaces and tabs that begin the line holding <paramref name="offset"/>.</summary>
    public static string LineIndent(ReadOnlySpan<byte> text, int offset)
    {
        var start = LineStart(text, offset);
        var end = start;
        while (end < text.Length && text[end] is (byte)' ' or (byte)'\t')
        {
            end++;
        }

        return Encoding.ASCII.GetString(text[start..end]);
    }

    /// <summary>True when only spaces and tabs stand between the start of its line and <paramref name="offset"/>.</summary>
    public static bool StartsLine(ReadOnlySpan<byte> text, int offset) =>
        text[LineStart(text, offset)..offset].TrimStart(" \t"u8).IsEmpty;

    /// <summary>Where the entries of a container start: the names of an object's members, an array's items.</summary>
    public static IEnumerable<int> EntryStarts(JsoncValue container) => container.Kind == JsonValueKind.Object
        ? container.Members.Select(m => m.NameStart)
        : container.Items.Select(i => i.Start);

    private static string? FindIndentUnit(ReadOnlySpan<byte> text, JsoncValue root)
    {
        var pending = new Queue<JsoncValue>([root]);
        while (pending.TryDequeue(out var container))
        {
            if (EntryStarts(container).FirstOrDefault(-1) is var first and >= 0
                && StartsLine(text, first)
                && LineStart(text, first) != LineStart(text, container.Start))
            {
                var outer = LineIndent(text, container.Start);
                var inner = LineIndent(text, first);
                if (inner.Length > outer.Length && inner.StartsWith(outer, StringComparison.Ordinal))
                {
                    return inner[outer.Length..];
                }
            }

            foreach (var child in container.Members.Select(m => m.Value).Concat(container.Items))
            {
                if (child.Kind is JsonValueKind.Object or JsonValueKind.Array)
                {
                    pending.Enqueue(child);
                }
            }
        }

        return null;
    }
}
