using System.Text.RegularExpressions;

namespace MeshDev.Authoring.Init;

/// <summary>
/// The fully-qualified services a <c>.proto</c> file declares (<c>package greet; service Greeter</c> →
/// <c>greet.Greeter</c>), read from its text with comments and strings removed.
/// </summary>
internal static partial class ProtoServices
{
    public static IReadOnlyList<string> Parse(string proto)
    {
        var code = CommentOrString().Replace(proto, match => match.Value.StartsWith('"') || match.Value.StartsWith('\'') ? "\"\"" : " ");
        var package = Package().Match(code) is { Success: true } p ? p.Groups["name"].Value + "." : "";
        return [.. Service().Matches(code).Select(m => package + m.Groups["name"].Value)];
    }

    [GeneratedRegex("""//[^\n]*|/\*.*?\*/|"(\\.|[^"\\\n])*"|'(\\.|[^'\\\n])*'""", RegexOptions.Singleline)]
    private static partial Regex CommentOrString();

    [GeneratedRegex(@"(?<![\w.])package\s+(?<name>[A-Za-z_][\w.]*)\s*;")]
    private static partial Regex Package();

    [GeneratedRegex(@"(?<![\w.])service\s+(?<name>[A-Za-z_]\w*)\s*\{")]
    private static partial Regex Service();
}
