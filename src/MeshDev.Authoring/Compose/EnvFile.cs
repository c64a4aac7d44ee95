using System.Text;

namespace MeshDev.Authoring.Compose;

/// <summary>
/// The <c>KEY=VALUE</c> files compose reads (<c>env_file</c>, <c>.env</c>): blank lines and <c># comments</c> are skipped,
/// <c>export </c> before a name is allowed, a value may be single-quoted (kept as is), double-quoted (<c>\n</c>, <c>\t</c>,
/// <c>\"</c> and <c>\\</c> escapes) or bare (trimmed, a <c> #</c> starts a comment).
/// </summary>
internal static class EnvFile
{
    /// <summary>One variable line.</summary>
    /// <param name="Value">Null when the line has no '=' (compose then takes the value from the shell).</param>
    /// <param name="Column">Where the name starts, 1-based.</param>
    /// <param name="Substitutes">False for a single-quoted value, whose <c>$</c> compose keeps as written.</param>
    public readonly record struct Entry(string Name, string? Value, int Line, int Column, bool Substitutes);

    /// <summary>The variable lines of <paramref name="text"/>; <paramref name="report"/> gets (line, column, message) for malformed ones.</summary>
    public static IReadOnlyList<Entry> Parse(string text, Action<int, int, string> report)
    {
        var entries = new List<Entry>();
        var lines = text.Split('\n');
        for (var index = 0; index < lines.Length; index++)
        {
            var line = lines[index].TrimEnd('\r');
            var start = line.Length - line.TrimStart().Length;
            var content = line.Trim();
            if (content.Length == 0 || content.StartsWith('#'))
            {
                continue;
            }

            if (content.StartsWith("export ", StringComparison.Ordinal))
            {
                var rest = content["export ".Length..].TrimStart();
                start += content.Length - rest.Length;
                content = rest;
            }

            var lineNumber = index + 1;
            var column = start + 1;
            var equals = content.IndexOf('=');
            if (equals < 0)
            {
                entries.Add(new Entry(content, null, lineNumber, column, Substitutes: false));
                continue;
            }

            var (value, substitutes, problem) = ReadValue(content[(equals + 1)..].Trim());
            if (problem is not null)
            {
                report(lineNumber, column, problem);
            }

            entries.Add(new Entry(content[..equals].Trim(), value, lineNumber, column, substitutes));
        }

        return entries;
    }

    private static (string Value, bool Substitutes, string? Problem) ReadValue(string raw)
    {
        if (raw.StartsWith('\''))
        {
            var close = raw.IndexOf('\'', 1);
            return close < 0
                ? (raw[1..], false, "the ' that starts the value is not closed on this line (the rest of the line is used)")
                : (raw[1..close], false, null);
        }

        if (raw.StartsWith('"'))
        {
            return DoubleQuoted(raw);
        }

        // A '#' starts a comment only after a blank, so 'a#b' stays a value (as in compose).
        var comment = raw.IndexOf(" #", StringComparison.Ordinal) is var space and >= 0 ? space : raw.IndexOf("\t#", StringComparison.Ordinal);
        return (comment >= 0 ? raw[..comment].TrimEnd() : raw, true, null);
    }

    private static (string Value, bool Substitutes, string? Problem) DoubleQuoted(string raw)
    {
        var value = new StringBuilder();
        for (var i = 1; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '"')
            {
                return (value.ToString(), true, null);
            }

            if (c == '\\' && i + 1 < raw.Length && raw[i + 1] is 'n' or 't' or 'r' or '"' or '\\')
            {
                value.Append(raw[++i] switch
                {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    var other => other,
                });
            }
            else
            {
                value.Append(c);
            }
        }

        return (value.ToString(), true, "the \" that starts the value is not closed on this line (the rest of the line is used)");
    }
}
