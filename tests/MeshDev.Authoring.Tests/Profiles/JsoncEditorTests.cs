using System.Text;
using System.Text.Json.Nodes;
using MeshDev.Authoring.Profiles;

namespace MeshDev.Authoring.Tests.Profiles;

/// <summary>Where the editor puts a new entry and its comma, and what it leaves alone, on small texts.</summary>
public sealed class JsoncEditorTests
{
    public static TheoryData<string, string> Insertions => new()
    {
        // After the value, not after the comment that follows it (where the comma would be commented out).
        { "{\n  \"a\": 1 // one\n}\n", "{\n  \"a\": 1, // one\n  \"b\": 2\n}\n" },
        { "{\n  \"a\": 1 /* one */ // two\n}\n", "{\n  \"a\": 1, /* one */ // two\n  \"b\": 2\n}\n" },

        // A trailing comma stays, and the new last entry gets one too.
        { "{\n  \"a\": 1, /* one */\n}\n", "{\n  \"a\": 1, /* one */\n  \"b\": 2,\n}\n" },
        { "{\n  \"a\": 1\n  ,\n}\n", "{\n  \"a\": 1\n  ,\n  \"b\": 2,\n}\n" },

        // Commas and slashes inside strings and comments are not structure.
        { "{\n  \"a\": \"x,y//z\" /* , */\n}\n", "{\n  \"a\": \"x,y//z\", /* , */\n  \"b\": 2\n}\n" },

        // Comments after the last entry stay before the new one.
        { "{\n  \"a\": 1,\n  // \"old\": 0,\n  /* \"older\": 0 */\n}\n", "{\n  \"a\": 1,\n  // \"old\": 0,\n  /* \"older\": 0 */\n  \"b\": 2,\n}\n" },

        // Empty and one-line containers: the entry and the closing brace get their own lines.
        { "{}", "{\n  \"b\": 2\n}" },
        { "{ }\n", "{\n  \"b\": 2\n}\n" },
        { "{}\n// the end\n", "{\n  \"b\": 2\n}\n// the end\n" },
        { "{\n  // nothing yet\n}\n", "{\n  // nothing yet\n  \"b\": 2\n}\n" },
        { "{\"a\":1}", "{\"a\":1,\n  \"b\": 2\n}" },
        { "{\"a\":1 /* x */}", "{\"a\":1, /* x */\n  \"b\": 2\n}" },
        { "{\"a\":1,}", "{\"a\":1,\n  \"b\": 2,\n}" },

        // The file's own indentation and newlines.
        { "{\r\n    \"a\": 1\r\n}\r\n", "{\r\n    \"a\": 1,\r\n    \"b\": 2\r\n}\r\n" },
        { "{\n\t\"a\": 1\n}", "{\n\t\"a\": 1,\n\t\"b\": 2\n}" },
        { "  {\n      \"a\": 1\n  }\n", "  {\n      \"a\": 1,\n      \"b\": 2\n  }\n" },

        // A block comment's " * " lines do not count as indentation.
        { "/*\n * header\n */\n{\n    \"a\": {\n        \"x\": 1\n    }\n}\n", "/*\n * header\n */\n{\n    \"a\": {\n        \"x\": 1\n    },\n    \"b\": 2\n}\n" },
    };

    [Theory]
    [MemberData(nameof(Insertions))]
    public void A_new_member_goes_last_with_its_comma_where_JSON_needs_it(string text, string expected)
    {
        Assert.Equal(expected, SetRoot(text, "b", 2));
    }

    [Fact]
    public void An_existing_member_is_replaced_in_place_and_its_neighbours_and_comments_stay()
    {
        Assert.Equal(
            "{\n  \"a\": 0,\n  \"b\": 2, // keep\n  \"c\": 3\n}\n",
            SetRoot("{\n  \"a\": 0,\n  \"b\": [1, 1], // keep\n  \"c\": 3\n}\n", "b", 2));
    }

    [Fact]
    public void A_nested_value_is_written_one_entry_per_line_in_the_files_indent()
    {
        var value = new JsonObject { ["x"] = new JsonArray(1, "two"), ["y"] = new JsonObject(), ["z"] = false };

        Assert.Equal(
            "{\r\n\t\"a\": 1,\r\n\t\"b\": {\r\n\t\t\"x\": [\r\n\t\t\t1,\r\n\t\t\t\"two\"\r\n\t\t],\r\n\t\t\"y\": {},\r\n\t\t\"z\": false\r\n\t}\r\n}\r\n",
            SetRoot("{\r\n\t\"a\": 1\r\n}\r\n", "b", value));
    }

    [Fact]
    public void Strings_are_escaped_only_where_JSON_requires_it()
    {
        Assert.Equal(
            "{\n  \"a + b <é>\": \"\\\"quoted\\\" C:\\\\dir\\nline & more\"\n}\n",
            SetRoot("{\n}\n", "a + b <é>", "\"quoted\" C:\\dir\nline & more"));
    }

    [Fact]
    public void The_same_value_again_leaves_the_text_as_it_is()
    {
        var text = "{\n  \"b\": {\n    \"x\": 1\n  } // mine\n}\n";

        Assert.Equal(text, SetRoot(text, "b", new JsonObject { ["x"] = 1 }));
    }

    [Fact]
    public void A_byte_order_mark_is_kept()
    {
        var file = (byte[])[0xEF, 0xBB, 0xBF, .. "{\n  \"a\": 1\n}\n"u8];
        var editor = new JsoncEditor(file, "  ");

        editor.SetMember(editor.Root, "b", 2);

        Assert.Equal((byte[])[0xEF, 0xBB, 0xBF, .. "{\n  \"a\": 1,\n  \"b\": 2\n}\n"u8], editor.ToBytes());
    }

    [Fact]
    public void An_empty_or_blank_file_starts_as_an_empty_object()
    {
        Assert.Equal("{\n  \"b\": 2\n}\n", SetRoot("", "b", 2));
        Assert.Equal("{\n  \"b\": 2\n}\n", SetRoot(" \r\n", "b", 2));
    }

    [Theory]
    [InlineData("[\n  1,\n]\n", "[\n  1,\n  2,\n]\n")]
    [InlineData("[1]", "[1,\n  2\n]")]
    [InlineData("[\n    {\"id\": 1} // first\n]", "[\n    {\"id\": 1}, // first\n    2\n]")]
    public void A_new_array_item_goes_last(string text, string expected)
    {
        var editor = new JsoncEditor(Encoding.UTF8.GetBytes(text), "  ");

        editor.SetItem(editor.Root, _ => false, 2);

        Assert.Equal(expected, Encoding.UTF8.GetString(editor.ToBytes()));
    }

    [Fact]
    public void The_first_matching_array_item_is_replaced()
    {
        var editor = new JsoncEditor("[\n  {\"id\": \"a\"},\n  {\"id\": \"b\"}, // two\n  {\"id\": \"b\"}\n]\n"u8.ToArray(), "  ");

        editor.SetItem(editor.Root, item => item.Member("id")?.String == "b", new JsonObject { ["id"] = "b", ["new"] = true });

        Assert.Equal("[\n  {\"id\": \"a\"},\n  {\n    \"id\": \"b\",\n    \"new\": true\n  }, // two\n  {\"id\": \"b\"}\n]\n", Encoding.UTF8.GetString(editor.ToBytes()));
    }

    private static string SetRoot(string text, string name, JsonNode value)
    {
        var editor = new JsoncEditor(Encoding.UTF8.GetBytes(text), "  ");
        editor.SetMember(editor.Root, name, value);
        return Encoding.UTF8.GetString(editor.ToBytes());
    }
}
