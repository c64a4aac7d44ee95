using MeshDev.Authoring.Compose;

namespace MeshDev.Authoring.Tests.Compose;

public sealed class ShellWordsTests
{
    public static TheoryData<string, string[]> Commands => new()
    {
        { "", [] },
        { "   ", [] },
        { "npm start", ["npm", "start"] },
        { "  spaced \t out\n words ", ["spaced", "out", "words"] },
        { "echo 'single quoted $HOME \\n'", ["echo", "single quoted $HOME \\n"] },
        { "echo \"double \\\"quoted\\\" \\$HOME \\\\ \\n\"", ["echo", "double \"quoted\" $HOME \\ \\n"] },
        { "a\\ b c\\\"d", ["a b", "c\"d"] },
        { "--opt=\"a b\"'c d'e", ["--opt=a bc de"] },
        { "empty \"\" ''", ["empty", "", ""] },
        { "line\\\ncontinued", ["linecontinued"] },
        { "sh -c \"echo 'hi there' && sleep 1\"", ["sh", "-c", "echo 'hi there' && sleep 1"] },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void Splits_like_a_shell(string text, string[] expected)
    {
        var words = ShellWords.Split(text, out var problem);

        Assert.Equal(expected, words);
        Assert.Null(problem);
    }

    [Theory]
    [InlineData("echo 'open", new[] { "echo", "open" }, "has a ' that is not closed")]
    [InlineData("echo \"open", new[] { "echo", "open" }, "has a \" that is not closed")]
    [InlineData("echo \\", new[] { "echo", "" }, "ends with a \\ that escapes nothing")]
    public void Reports_an_open_quote_or_escape(string text, string[] expected, string problem)
    {
        var words = ShellWords.Split(text, out var actual);

        Assert.Equal(expected, words);
        Assert.Equal(problem, actual);
    }
}
