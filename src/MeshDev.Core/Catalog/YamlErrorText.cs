using System.Text.RegularExpressions;
using MeshDev.Text;
using YamlDotNet.Core;

namespace MeshDev.Catalog;

/// <summary>
/// Explains YamlDotNet's parser errors ("While scanning a plain scalar value, found invalid mapping.") as a sentence about what is
/// wrong on that line and how to fix it: indentation, a missing space after ':', an unclosed quote or bracket, a tab.
/// The parser reports where it noticed the problem; the sentence looks at the lines around that place to name the cause.
/// </summary>
internal static partial class YamlErrorText
{
    /// <summary>Where to point and what to say for a parser error.</summary>
    public static (Mark At, string Message) Explain(YamlException error, string yaml, (Mark Start, bool IsMapping)? openFlow)
    {
        var text = new Lines(yaml);
        var at = error.Start;
        var raw = error.Message;
        return Tab(text, at, raw)
            ?? Quote(text, at, raw)
            ?? Token(text, at, raw)
            ?? Flow(at, raw, openFlow)
            ?? Layout(text, at, raw)
            ?? (at, $"line {at.Line} is not valid YAML ({raw.TrimEnd('.').Trim()}); check its indentation, quotes and brackets");
    }

    /// <summary>For the parser giving up without a position (it does so on some unclosed brackets).</summary>
    public static (Mark At, string Message) ExplainUnreadable(Mark lastRead, (Mark Start, bool IsMapping)? openFlow) =>
        openFlow is var (start, isMapping)
            ? (start, Unclosed(start, isMapping))
            : (lastRead, "the text after this point cannot be read as YAML; look for an unclosed '[', '{' or quote");

    private static string Unclosed(Mark start, bool isMapping) =>
        $"the '{(isMapping ? '{' : '[')}' opened on line {start.Line} is never closed; close it with '{(isMapping ? '}' : ']')}' and separate its items with ','";

    private static (Mark, string)? Tab(Lines text, Mark at, string raw)
    {
        // The parser may blame line 1 for a tab anywhere, so look for the first indenting tab up to the line it stopped at.
        var last = raw.Contains("tab", StringComparison.OrdinalIgnoreCase) ? text.Count : (int)at.Line;
        for (var line = 1; line <= last; line++)
        {
            var content = text[line];
            var indent = content.Length - content.TrimStart(' ', '\t').Length;
            var tab = content.IndexOf('\t', 0, indent);
            if (tab >= 0 && (line == at.Line || raw.Contains("tab", StringComparison.OrdinalIgnoreCase)))
            {
                return (new Mark(0, line, tab + 1), $"line {line} is indented with a tab; YAML indents with spaces only");
            }
        }

        return null;
    }

    private static (Mark, string)? Quote(Lines text, Mark at, string raw)
    {
        var quote = text.CharAt(at);
        if (raw.Contains("unknown escape", StringComparison.Ordinal))
        {
            return (at, "this double-quoted value has an unknown escape after '\\'; write '\\\\' for a backslash, or use single quotes, where '\\' is plain");
        }

        if (!raw.Contains("quoted scalar", StringComparison.Ordinal) || quote is not ('"' or '\''))
        {
            return null;
        }

        return (at, $"the {quote} that starts this value is never closed; end the value with {quote} on the same line");
    }

    private static (Mark, string)? Token(Lines text, Mark at, string raw)
    {
        var c = text.CharAt(at);
        if (raw.Contains("anchor or alias", StringComparison.Ordinal))
        {
            return (at, $"'{c}' starts an anchor or alias and needs a name after it, like &common; quote the value if '{c}' is meant as text");
        }

        if (raw.Contains("scanning a tag", StringComparison.Ordinal) || raw.Contains("tag handle", StringComparison.Ordinal))
        {
            return (at, "'!' starts a YAML tag here; quote the value if '!' is meant as text");
        }

        if (!raw.Contains("cannot start any token", StringComparison.Ordinal) || c is null)
        {
            return null;
        }

        return c == '%' && at.Column == 1
            ? (at, "'%' at the start of a line begins a YAML directive; quote the value or remove the line")
            : (at, $"'{c}' cannot start a value; put the value in quotes, like \"{c}…\"");
    }

    private static (Mark, string)? Flow(Mark at, string raw, (Mark Start, bool IsMapping)? openFlow)
    {
        if (raw.Contains("flow sequence", StringComparison.Ordinal) || raw.Contains("flow mapping", StringComparison.Ordinal))
        {
            var isMapping = raw.Contains("flow mapping", StringComparison.Ordinal);
            var start = openFlow?.Start ?? at;
            return (start, Unclosed(start, openFlow?.IsMapping ?? isMapping));
        }

        return null;
    }

    /// <summary>Errors about where a key or value may go: almost always indentation, a missing ':' or a missing space after one.</summary>
    private static (Mark, string)? Layout(Lines text, Mark at, string raw)
    {
        var line = (int)at.Line;
        var content = text[line];
        var above = text.ContentLineBefore(line);
        var c = text.CharAt(at);

        if (c is ']' or '}')
        {
            return (at, $"this '{c}' closes nothing; remove it or add the '{(c == ']' ? '[' : '{')}' it should close");
        }

        if (NoSpaceAfterColon(text, above, line) is { } cramped)
        {
            return cramped;
        }

        var before = content[..Math.Min(content.Length, Math.Max(0, (int)at.Column - 1))];
        if ((raw.Contains("invalid mapping", StringComparison.Ordinal) || raw.Contains("not allowed in this context", StringComparison.Ordinal))
            && KeyPrefix().IsMatch(before))
        {
            return (at, $"line {line} has a second ': ' inside a value; quote the value (\"…\") or put the nested key on its own line, indented");
        }

        if (before.TrimEnd().EndsWith('"') || before.TrimEnd().EndsWith('\''))
        {
            return (at, $"text follows the closing quote on line {line}; put the whole value inside the quotes");
        }

        var trimmed = content.TrimStart();
        if (trimmed.StartsWith("- ", StringComparison.Ordinal) || trimmed == "-")
        {
            return (at, $"line {line} starts a list item where a key is expected; put the list under its key (like 'args:') and indent it below that key");
        }

        if (above is { } previous && !text[previous].Contains(':') && Indent(content) > Indent(text[previous]) && !text[previous].TrimStart().StartsWith('-'))
        {
            return (new Mark(0, previous, Indent(text[previous]) + 1), $"'{Shorten(text[previous].Trim())}' on line {previous} needs a ':' after it to hold the lines indented below it");
        }

        if (Key(content) is not { } key)
        {
            return trimmed.Length > 0 && !trimmed.StartsWith('#')
                ? (new Mark(0, line, Indent(content) + 1), $"line {line} is not a 'key: value' line; add ': value' after '{Shorten(trimmed)}' or remove the line")
                : null;
        }

        if (above is not { } sibling || Key(text[sibling]) is not { } aboveKey)
        {
            return null;
        }

        var (indent, aboveIndent) = (Indent(content), Indent(text[sibling]));
        var keyAt = new Mark(0, line, indent + 1);
        if (indent > aboveIndent)
        {
            return (keyAt, $"'{key}' on line {line} is indented more than '{aboveKey}' on line {sibling}, so it reads as part of the value of '{aboveKey}'; indent it by {Plural.Of(aboveIndent, "space")} like '{aboveKey}'");
        }

        if (indent < aboveIndent)
        {
            return (keyAt, $"'{key}' on line {line} is indented by {Plural.Of(indent, "space")}, which lines up with no key above it ('{aboveKey}' has {aboveIndent}); keys of one mapping must start in the same column");
        }

        return null;
    }

    /// <summary>A <c>key:value</c> on the line or the one above: YAML reads it as one plain text, so the next key makes no sense.</summary>
    private static (Mark, string)? NoSpaceAfterColon(Lines text, int? above, int line)
    {
        foreach (var candidate in new[] { line, above ?? 0 })
        {
            var match = CrampedKey().Match(text[candidate]);
            var value = match.Groups["value"].Value.TrimEnd();
            if (candidate > 0 && match.Success && !value.StartsWith("//", StringComparison.Ordinal) && !text[candidate].Contains(": ", StringComparison.Ordinal))
            {
                var key = match.Groups["key"].Value;
                return (new Mark(0, candidate, match.Groups["key"].Index + key.Length + 1),
                    $"line {candidate} has no space after ':' in '{Shorten(key + ":" + value)}'; write '{Shorten(key + ": " + value)}'");
            }
        }

        return null;
    }

    private static int Indent(string line) => line.Length - line.TrimStart(' ').Length;

    private static string? Key(string line) => KeyLine().Match(line) is { Success: true } match ? Shorten(match.Groups["key"].Value) : null;

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    // A key and its ':' before the place the parser stopped: what comes after is already a value.
    [GeneratedRegex(@"^\s*(-\s+)?[^\s#'""][^#]*?:\s")]
    private static partial Regex KeyPrefix();

    [GeneratedRegex(@"^\s*(-\s+)?(?<key>[^\s:#'""\[\]{},-][^\s:#]*?)\s*:(\s|$)")]
    private static partial Regex KeyLine();

    // 'command:x' — a name, a colon and no space (URLs, scheme://, are left alone by the caller).
    [GeneratedRegex(@"^\s*(-\s+)?(?<key>[A-Za-z_][A-Za-z0-9_-]*):(?<value>[^\s#].*)$")]
    private static partial Regex CrampedKey();

    /// <summary>The text's lines, numbered from 1 like the parser's marks.</summary>
    private sealed class Lines(string yaml)
    {
        private readonly string[] _lines = yaml.Split('\n');

        public int Count => _lines.Length;

        /// <summary>Line <paramref name="number"/> without its line break; empty outside the text.</summary>
        public string this[int number] => number >= 1 && number <= _lines.Length ? _lines[number - 1].TrimEnd('\r') : "";

        public char? CharAt(Mark at)
        {
            var line = this[(int)at.Line];
            var index = (int)at.Column - 1;
            return index >= 0 && index < line.Length ? line[index] : null;
        }

        /// <summary>The nearest line above <paramref name="line"/> with something on it other than a comment.</summary>
        public int? ContentLineBefore(int line)
        {
            for (var number = line - 1; number >= 1; number--)
            {
                var trimmed = this[number].Trim();
                if (trimmed.Length > 0 && !trimmed.StartsWith('#'))
                {
                    return number;
                }
            }

            return null;
        }
    }
}
