using System.Text;
using System.Text.Json;

namespace MeshDev.Authoring.Profiles;

/// <summary>A JSONC file that cannot be read or merged into, with the 1-based line and column (in characters) of the problem.</summary>
public sealed class JsoncException(string message, int line, int column) : Exception(message)
{
    public int Line { get; } = line;

    public int Column { get; } = column;

    /// <summary>The way editors and compilers print it: <c>FILE:LINE:COL: message</c>.</summary>
    public string Format(string file) => $"{file}:{Line}:{Column}: {Message}";

    /// <summary>A problem at byte <paramref name="offset"/> of <paramref name="utf8"/>.</summary>
    internal static JsoncException At(ReadOnlySpan<byte> utf8, int offset, string message)
    {
        offset = Math.Clamp(offset, 0, utf8.Length);
        var before = utf8[..offset];
        var lineStart = before.LastIndexOf((byte)'\n') + 1;
        return new JsoncException(message, before.Count((byte)'\n') + 1, Encoding.UTF8.GetCharCount(utf8[lineStart..offset]) + 1);
    }

    /// <summary>
    /// Translates what <see cref="Utf8JsonReader"/> reports (0-based line, 0-based byte in that line, and the position
    /// repeated at the end of its message) into a 1-based line and character column and a message without the repetition.
    /// </summary>
    internal static JsoncException FromReader(ReadOnlySpan<byte> utf8, JsonException error)
    {
        var lineStart = 0;
        for (var line = 0L; line < (error.LineNumber ?? 0); line++)
        {
            var next = utf8[lineStart..].IndexOf((byte)'\n');
            if (next < 0)
            {
                break;
            }

            lineStart += next + 1;
        }

        var offset = lineStart + (int)Math.Min(error.BytePositionInLine ?? 0, utf8.Length - lineStart);
        var message = error.Message;
        var repeated = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (repeated > 0)
        {
            message = message[..repeated];
        }

        return At(utf8, offset, $"not valid JSON: {message.TrimEnd()}");
    }
}
