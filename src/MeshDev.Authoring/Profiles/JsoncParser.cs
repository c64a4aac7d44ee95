using System.Text.Json;

namespace MeshDev.Authoring.Profiles;

/// <summary>
/// Reads a JSONC text — JSON with <c>//</c> and <c>/* */</c> comments and trailing commas, as VS Code and Visual Studio
/// write launchSettings.json, launch.json and tasks.json — into <see cref="JsoncValue"/>s that know their byte spans.
/// </summary>
internal static class JsoncParser
{
    private static readonly JsonReaderOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>The root value of <paramref name="utf8"/> (UTF-8 without a byte order mark).</summary>
    /// <exception cref="JsoncException">The text is not valid JSONC.</exception>
    public static JsoncValue Parse(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, Options);
        try
        {
            reader.Read();
            var root = ReadValue(ref reader);

            // Only comments and whitespace may follow the root value; reading on makes the reader check that.
            while (reader.Read())
            {
            }

            return root;
        }
        catch (JsonException e)
        {
            throw JsoncException.FromReader(utf8, e);
        }
        catch (InvalidOperationException e)
        {
            // GetString on a string that is not valid UTF-8.
            throw JsoncException.At(utf8, (int)reader.TokenStartIndex, $"not valid JSON: {e.Message}");
        }
    }

    private static JsoncValue ReadValue(ref Utf8JsonReader reader)
    {
        var start = (int)reader.TokenStartIndex;
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var members = new List<JsoncMember>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var name = reader.GetString()!;
                    var nameStart = (int)reader.TokenStartIndex;
                    reader.Read();
                    members.Add(new JsoncMember(name, nameStart, ReadValue(ref reader)));
                }

                return new JsoncValue { Kind = JsonValueKind.Object, Start = start, End = (int)reader.BytesConsumed, Members = members };

            case JsonTokenType.StartArray:
                var items = new List<JsoncValue>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    items.Add(ReadValue(ref reader));
                }

                return new JsoncValue { Kind = JsonValueKind.Array, Start = start, End = (int)reader.BytesConsumed, Items = items };

            case JsonTokenType.String:
                return new JsoncValue { Kind = JsonValueKind.String, Start = start, End = (int)reader.BytesConsumed, String = reader.GetString() };

            default:
                var kind = reader.TokenType switch
                {
                    JsonTokenType.Number => JsonValueKind.Number,
                    JsonTokenType.True => JsonValueKind.True,
                    JsonTokenType.False => JsonValueKind.False,
                    _ => JsonValueKind.Null,
                };
                return new JsoncValue { Kind = kind, Start = start, End = (int)reader.BytesConsumed };
        }
    }
}
