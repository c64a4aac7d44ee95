using MeshDev.Authoring.Compose;

namespace MeshDev.Authoring.Tests.Compose;

public sealed class EnvFileTests
{
    [Fact]
    public void Reads_names_values_quotes_comments_and_positions()
    {
        var problems = new List<string>();
        var text = "# comment\r\n\r\nA=1\n  B = spaced value  \nexport C=exported\n  export   D=x\nE='single $X # kept'\nF=\"double \\\"q\\\" \\n \\t \\\\ \\x\" # after\nG=bare # comment\nH=a#b\nI=\nJ\nK==x\n";

        var entries = EnvFile.Parse(text, (line, column, message) => problems.Add($"{line}:{column}: {message}"));

        Assert.Equal(
        [
            new EnvFile.Entry("A", "1", 3, 1, true),
            new EnvFile.Entry("B", "spaced value", 4, 3, true),
            new EnvFile.Entry("C", "exported", 5, 8, true),
            new EnvFile.Entry("D", "x", 6, 12, true),
            new EnvFile.Entry("E", "single $X # kept", 7, 1, false),
            new EnvFile.Entry("F", "double \"q\" \n \t \\ \\x", 8, 1, true),
            new EnvFile.Entry("G", "bare", 9, 1, true),
            new EnvFile.Entry("H", "a#b", 10, 1, true),
            new EnvFile.Entry("I", "", 11, 1, true),
            new EnvFile.Entry("J", null, 12, 1, false),
            new EnvFile.Entry("K", "=x", 13, 1, true),
        ], entries);
        Assert.Empty(problems);
    }

    [Fact]
    public void Reports_a_quote_left_open_and_keeps_the_rest_of_the_line()
    {
        var problems = new List<string>();

        var entries = EnvFile.Parse("A='open\n  B=\"open too\n", (line, column, message) => problems.Add($"{line}:{column}: {message}"));

        Assert.Equal([new EnvFile.Entry("A", "open", 1, 1, false), new EnvFile.Entry("B", "open too", 2, 3, true)], entries);
        Assert.Equal(
        [
            "1:1: the ' that starts the value is not closed on this line (the rest of the line is used)",
            "2:3: the \" that starts the value is not closed on this line (the rest of the line is used)",
        ], problems);
    }
}
