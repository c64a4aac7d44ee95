using System.Text;

namespace MeshDev.Authoring.Compose;

/// <summary>
/// Splits a command written as one string (<c>command: npm run start -- --port 3000</c>) into words the way a POSIX shell
/// would, which is what compose does: blanks separate words, single quotes keep everything, double quotes keep all but
/// <c>\\</c>, <c>\"</c>, <c>\$</c> and <c>\`</c>, and a backslash outside quotes keeps the next character.
/// No variables, globs or operators: compose does not run a shell either.
/// </summary>
internal static class ShellWords
{
    /// <summary>The words of <paramref name="text"/>; <paramref name="problem"/> says what is wrong when a quote or escape is left open.</summary>
    public static IReadOnlyList<string> Split(string text, out string? problem)
    {
        problem = null;
        var words = new List<string>();
        var word = new StringBuilder();
        // A word exists as soon as it has a character or a quote: "" is an empty argument, not no argument.
        var inWord = false;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i++];
            switch (c)
            {
                case ' ' or '\t' or '\n' or '\r':
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }

                    break;
                case '\'':
                    inWord = true;
                    var close = text.IndexOf('\'', i);
                    if (close < 0)
                    {
                        problem = "has a ' that is not closed";
                        close = text.Length;
                    }

                    word.Append(text, i, close - i);
                    i = Math.Min(close + 1, text.Length);
                    break;
                case '"':
                    inWord = true;
                    i = DoubleQuoted(text, i, word, ref problem);
                    break;
                case '\\':
                    inWord = true;
                    if (i == text.Length)
                    {
                        problem = "ends with a \\ that escapes nothing";
                    }
                    else if (text[i] == '\n')
                    {
                        // A backslash before a line break joins the lines, as in a shell.
                        i++;
                    }
                    else
                    {
                        word.Append(text[i++]);
                    }

                    break;
                default:
                    inWord = true;
                    word.Append(c);
                    break;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }

    /// <summary>Reads a double-quoted part whose text starts at <paramref name="i"/>; returns the index after its closing quote.</summary>
    private static int DoubleQuoted(string text, int i, StringBuilder word, ref string? problem)
    {
        while (i < text.Length)
        {
            var c = text[i++];
            if (c == '"')
            {
                return i;
            }

            if (c == '\\' && i < text.Length && text[i] is '\\' or '"' or '$' or '`' or '\n')
            {
                if (text[i] != '\n')
                {
                    word.Append(text[i]);
                }

                i++;
            }
            else
            {
                word.Append(c);
            }
        }

        problem = "has a \" that is not closed";
        return i;
    }
}
