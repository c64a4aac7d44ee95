using System.Text;

namespace MeshDev.Authoring.Profiles;

/// <summary>
/// A unified diff (<c>---</c>/<c>+++</c> headers, <c>@@</c> hunks with three lines of context) of two texts, for
/// <c>--dry-run</c>. Line endings are not shown; these files are small, so a plain longest-common-subsequence table will do.
/// </summary>
public static class TextDiff
{
    private const int Context = 3;

    /// <param name="before">The old text; null for a file that does not exist yet (<c>/dev/null</c>).</param>
    public static string Unified(string path, string? before, string after)
    {
        var oldLines = before is null ? [] : Lines(before);
        var newLines = Lines(after);
        var script = EditScript(oldLines, newLines);

        var text = new StringBuilder();
        text.Append("--- ").Append(before is null ? "/dev/null" : "a/" + path).Append('\n');
        text.Append("+++ b/").Append(path).Append('\n');

        var changed = script.Select((step, index) => (step, index)).Where(s => s.step.Kind != ' ').Select(s => s.index).ToList();
        var i = 0;
        while (i < changed.Count)
        {
            // A hunk spans changes closer than twice the context, and the context around them.
            var first = changed[i];
            var last = first;
            while (i + 1 < changed.Count && changed[i + 1] - last <= 2 * Context)
            {
                last = changed[++i];
            }

            i++;
            var from = Math.Max(0, first - Context);
            var to = Math.Min(script.Count - 1, last + Context);
            var hunk = script.GetRange(from, to - from + 1);
            var oldStart = script.Take(from).Count(s => s.Kind != '+') + 1;
            var newStart = script.Take(from).Count(s => s.Kind != '-') + 1;
            var oldCount = hunk.Count(s => s.Kind != '+');
            var newCount = hunk.Count(s => s.Kind != '-');
            text.Append($"@@ -{(oldCount == 0 ? oldStart - 1 : oldStart)},{oldCount} +{(newCount == 0 ? newStart - 1 : newStart)},{newCount} @@\n");
            foreach (var (kind, line) in hunk)
            {
                text.Append(kind).Append(line).Append('\n');
            }
        }

        return text.ToString();
    }

    private static string[] Lines(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        return text.EndsWith('\n') ? lines[..^1] : lines;
    }

    private static List<(char Kind, string Line)> EditScript(string[] a, string[] b)
    {
        // common[i, j]: length of the longest common subsequence of a[i..] and b[j..].
        var common = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                common[i, j] = a[i] == b[j] ? common[i + 1, j + 1] + 1 : Math.Max(common[i + 1, j], common[i, j + 1]);
            }
        }

        var script = new List<(char, string)>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                script.Add((' ', a[x++]));
                y++;
            }
            else if (x < a.Length && (y == b.Length || common[x + 1, y] >= common[x, y + 1]))
            {
                // Removals before additions, as diff prints a changed line.
                script.Add(('-', a[x++]));
            }
            else
            {
                script.Add(('+', b[y++]));
            }
        }

        return script;
    }
}
