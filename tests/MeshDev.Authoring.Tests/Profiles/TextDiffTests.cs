using MeshDev.Authoring.Profiles;

namespace MeshDev.Authoring.Tests.Profiles;

/// <summary>The diff <c>meshdev profiles --dry-run</c> prints.</summary>
public sealed class TextDiffTests
{
    [Fact]
    public void A_new_file_is_all_additions_from_dev_null()
    {
        Assert.Equal("--- /dev/null\n+++ b/x.json\n@@ -0,0 +1,2 @@\n+{\n+}\n", TextDiff.Unified("x.json", null, "{\n}\n"));
    }

    [Fact]
    public void Changes_come_in_hunks_with_three_lines_of_context_and_CRLF_is_not_shown()
    {
        var before = string.Join("\r\n", Enumerable.Range(1, 20).Select(i => $"line {i}")) + "\r\n";
        var after = before.Replace("line 2\r\n", "line 2 changed\r\n", StringComparison.Ordinal).Replace("line 18\r\n", "line 18\r\nline 18b\r\n", StringComparison.Ordinal);

        Assert.Equal(
            """
            --- a/x.json
            +++ b/x.json
            @@ -1,5 +1,5 @@
             line 1
            -line 2
            +line 2 changed
             line 3
             line 4
             line 5
            @@ -16,5 +16,6 @@
             line 16
             line 17
             line 18
            +line 18b
             line 19
             line 20

            """.ReplaceLineEndings("\n"),
            TextDiff.Unified("x.json", before, after));
    }

    [Fact]
    public void Equal_texts_give_only_the_headers()
    {
        Assert.Equal("--- a/x\n+++ b/x\n", TextDiff.Unified("x", "a\nb\n", "a\nb\n"));
    }
}
