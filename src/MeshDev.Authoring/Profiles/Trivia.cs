namespace MeshDev.Authoring.Profiles;

/// <summary>
/// What stands between two tokens of a JSONC text that the reader has already validated: whitespace, comments and at
/// most one comma. Scanned by hand because the reader skips comments without saying where they end.
/// </summary>
internal readonly record struct Trivia(int? Comma, int End)
{
    /// <summary>
    /// Scans <c>[from, to)</c>. <see cref="Comma"/> is the offset of the comma, if any; <see cref="End"/> is just past the
    /// last comma or comment (<paramref name="from"/> when there is none), so only whitespace follows it up to <paramref name="to"/>.
    /// </summary>
    public static Trivia Scan(ReadOnlySpan<byte> text, int from, int to)
    {
        int? comma = null;
        var end = from;
        var i = from;
        while (i < to)
        {
            switch (text[i])
            {
                case (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n':
                    i++;
                    continue;
                case (byte)',':
                    comma = i;
                    i++;
                    break;
                case (byte)'/' when i + 1 < to && text[i + 1] == '/':
                    var lineEnd = text[i..to].IndexOfAny((byte)'\r', (byte)'\n');
                    i = lineEnd < 0 ? to : i + lineEnd;
                    break;
                case (byte)'/' when i + 1 < to && text[i + 1] == '*':
                    var commentEnd = text[(i + 2)..to].IndexOf("*/"u8);
                    i = commentEnd < 0 ? to : i + 2 + commentEnd + 2;
                    break;
                default:
                    throw new InvalidOperationException($"unexpected byte 0x{text[i]:X2} at offset {i} between two JSON tokens");
            }

            end = i;
        }

        return new Trivia(comma, end);
    }
}
