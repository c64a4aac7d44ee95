using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MeshDev.Authoring.Profiles;

/// <summary>
/// Writes a <see cref="JsonNode"/> the way the file around it is written: its newline, its indent unit, one entry per
/// line, <c>"name": value</c>. Deterministic, so that merging the same value twice produces the same bytes.
/// </summary>
internal static class JsoncRenderer
{
    // These files are read by IDEs, not embedded in HTML: '+', '&', '<', '>' and non-ASCII stay as they are.
    private static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
    private static readonly JsonSerializerOptions ValueOptions = new() { Encoder = Encoder };

    /// <summary>
    /// The text of <paramref name="value"/> for a place whose line is indented by <paramref name="indent"/>: the first
    /// line carries no indent (it continues the current line), the following ones are indented from there.
    /// </summary>
    public static string Render(JsonNode? value, JsoncLayout layout, string indent)
    {
        var text = new StringBuilder();
        Write(text, value, layout, indent);
        return text.ToString();
    }

    /// <summary>A JSON string literal, quotes included.</summary>
    public static string Quote(string value) => $"\"{JsonEncodedText.Encode(value, Encoder)}\"";

    private static void Write(StringBuilder text, JsonNode? value, JsoncLayout layout, string indent)
    {
        switch (value)
        {
            case JsonObject { Count: 0 }:
                text.Append("{}");
                break;
            case JsonObject obj:
                text.Append('{');
                var firstMember = true;
                foreach (var (name, member) in obj)
                {
                    text.Append(firstMember ? "" : ",").Append(layout.NewLine).Append(indent).Append(layout.IndentUnit).Append(Quote(name)).Append(": ");
                    Write(text, member, layout, indent + layout.IndentUnit);
                    firstMember = false;
                }

                text.Append(layout.NewLine).Append(indent).Append('}');
                break;
            case JsonArray { Count: 0 }:
                text.Append("[]");
                break;
            case JsonArray array:
                text.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    text.Append(i == 0 ? "" : ",").Append(layout.NewLine).Append(indent).Append(layout.IndentUnit);
                    Write(text, array[i], layout, indent + layout.IndentUnit);
                }

                text.Append(layout.NewLine).Append(indent).Append(']');
                break;
            case null:
                text.Append("null");
                break;
            default:
                text.Append(value.ToJsonString(ValueOptions));
                break;
        }
    }
}
