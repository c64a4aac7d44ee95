using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace MeshDev.Authoring.Compose;

/// <summary>
/// Writes a string as a YAML scalar that reads back as exactly that string: plain when that is safe, double-quoted otherwise.
/// "Safe" is judged for every YAML reader a manifest may meet, not only ours: text that YAML 1.1 or 1.2 would read as a
/// null, boolean, number or date (<c>no</c>, <c>0755</c>, <c>1e3</c>, <c>2024-01-01</c>) is quoted, so it stays a string.
/// </summary>
internal static partial class YamlText
{
    /// <summary>The scalar for <paramref name="value"/>; <paramref name="inFlow"/> when it goes inside <c>[ ]</c>, where commas and brackets end it.</summary>
    public static string Scalar(string value, bool inFlow = false) => IsPlainSafe(value, inFlow) ? value : DoubleQuoted(value);

    private static bool IsPlainSafe(string value, bool inFlow)
    {
        if (value.Length == 0 || char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]) || ReadsAsOtherType().IsMatch(value))
        {
            return false;
        }

        // A leading '-' is fine when a word follows it (-U, --verbose); other indicators always start something else.
        if ("?:,[]{}#&*!|>'\"%@`".Contains(value[0])
            || (value[0] == '-' && (value.Length == 1 || value[1] == ' ' || (inFlow && ",[]{}".Contains(value[1])))))
        {
            return false;
        }

        if (value.Contains(": ", StringComparison.Ordinal) || value.EndsWith(':') || value.Contains(" #", StringComparison.Ordinal))
        {
            return false;
        }

        if (inFlow && value.AsSpan().IndexOfAny(",[]{}") >= 0)
        {
            return false;
        }

        return value.All(c => !NeedsEscape(c));
    }

    private static string DoubleQuoted(string value)
    {
        var text = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\0' => "\\0",
                '\a' => "\\a",
                '\b' => "\\b",
                '\t' => "\\t",
                '\n' => "\\n",
                '\v' => "\\v",
                '\f' => "\\f",
                '\r' => "\\r",
                '\u001b' => "\\e",
                _ when NeedsEscape(c) => "\\u" + ((int)c).ToString("X4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }

        return text.Append('"').ToString();
    }

    /// <summary>Control characters, line and paragraph separators, the byte-order mark and lone surrogates: not printable in YAML.</summary>
    private static bool NeedsEscape(char c) =>
        c < ' ' || c is >= '\u007f' and <= '\u009f' or '\u2028' or '\u2029' or '\ufeff' || char.IsSurrogate(c);

    // Nulls and booleans of YAML 1.1 and 1.2 (yes/no/on/off/y/n included); integers (decimal, octal, hex, binary, with '_');
    // floats, infinities and NaN; YAML 1.1 base-60 numbers (1:30); dates and timestamps.
    [GeneratedRegex("""
        ^(~|null|Null|NULL
        |true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N
        |[-+]?(0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)
        |[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
        |[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)
        |[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?
        |[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt\x20].*)?
        )$
        """, RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex ReadsAsOtherType();
}
