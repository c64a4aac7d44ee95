using System.Text;

namespace MeshDev.Authoring.Compose;

/// <summary>
/// Compose's variable substitution: <c>$VAR</c>, <c>${VAR}</c>, <c>${VAR:-default}</c>, <c>${VAR-default}</c>,
/// <c>${VAR:?error}</c>, <c>${VAR?error}</c>, <c>${VAR:+replacement}</c>, <c>${VAR+replacement}</c>, and <c>$$</c> for a
/// literal <c>$</c>. Defaults may hold variables themselves. Where compose would stop with an error (a required variable
/// is unset, a <c>$</c> that starts nothing) the import goes on and reports it instead, so the user sees every problem at once.
/// </summary>
internal sealed class Interpolation(Func<string, string?> variable)
{
    /// <summary>The text with every variable substituted; <paramref name="report"/> gets one message per problem.</summary>
    public string Substitute(string text, Action<string> report)
    {
        if (!text.Contains('$'))
        {
            return text;
        }

        var result = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] != '$')
            {
                result.Append(text[i++]);
                continue;
            }

            var next = i + 1 < text.Length ? text[i + 1] : '\0';
            if (next == '$')
            {
                result.Append('$');
                i += 2;
            }
            else if (next == '{')
            {
                var end = ClosingBrace(text, i + 2);
                if (end < 0)
                {
                    report($"'{text[i..]}' has no closing '}}'; write $$ for a literal $ (kept as written)");
                    result.Append(text, i, text.Length - i);
                    break;
                }

                result.Append(Braced(text[(i + 2)..end], text[i..(end + 1)], report));
                i = end + 1;
            }
            else if (NameLength(text, i + 1) is > 0 and var length)
            {
                result.Append(Lookup(text.Substring(i + 1, length), report));
                i += 1 + length;
            }
            else
            {
                report("'$' is not followed by a variable name; write $$ for a literal $ (kept as written)");
                result.Append('$');
                i++;
            }
        }

        return result.ToString();
    }

    private string Braced(string inner, string expression, Action<string> report)
    {
        var length = NameLength(inner, 0);
        var name = inner[..length];
        var operation = inner[length..];
        var value = length > 0 ? variable(name) : null;
        switch (operation)
        {
            case "" when length > 0:
                return Lookup(name, report);
            case [':', '-', ..] when length > 0:
                return string.IsNullOrEmpty(value) ? Substitute(operation[2..], report) : value;
            case ['-', ..] when length > 0:
                return value ?? Substitute(operation[1..], report);
            case [':', '?', ..] when length > 0:
                return string.IsNullOrEmpty(value) ? Required(name, operation[2..], report) : value;
            case ['?', ..] when length > 0:
                return value ?? Required(name, operation[1..], report);
            case [':', '+', ..] when length > 0:
                return string.IsNullOrEmpty(value) ? "" : Substitute(operation[2..], report);
            case ['+', ..] when length > 0:
                return value is null ? "" : Substitute(operation[1..], report);
            default:
                report($"'{expression}' is not a valid variable reference; write $$ for a literal $ (kept as written)");
                return expression;
        }
    }

    private string Lookup(string name, Action<string> report)
    {
        if (variable(name) is { } value)
        {
            return value;
        }

        report($"variable {name} is not set; it is replaced by an empty string");
        return "";
    }

    private string Required(string name, string message, Action<string> report)
    {
        var why = Substitute(message, report);
        report($"variable {name} is required{(why.Length > 0 ? ": " + why : "")}; it is replaced by an empty string");
        return "";
    }

    /// <summary>The index of the '}' that closes a '${' whose body starts at <paramref name="start"/>; -1 when there is none.</summary>
    private static int ClosingBrace(string text, int start)
    {
        var depth = 0;
        for (var i = start; i < text.Length; i++)
        {
            if (text[i] == '{')
            {
                depth++;
            }
            else if (text[i] == '}' && depth-- == 0)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>How long the variable name starting at <paramref name="start"/> is ([A-Za-z_][A-Za-z0-9_]*); 0 when none starts there.</summary>
    private static int NameLength(string text, int start)
    {
        var i = start;
        while (i < text.Length && (char.IsAsciiLetter(text[i]) || text[i] == '_' || (i > start && char.IsAsciiDigit(text[i]))))
        {
            i++;
        }

        return i - start;
    }
}
