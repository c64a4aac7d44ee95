using MeshDev.Authoring.Compose;

namespace MeshDev.Authoring.Tests.Compose;

/// <summary>Imports compose text from memory: variables and files come from dictionaries, so nothing on the machine changes the result.</summary>
internal static class ComposeTestImport
{
    /// <summary>Relative, like what a user types; findings show it, and the project name is its folder.</summary>
    public const string ComposePath = "shop/docker-compose.yml";

    public static ComposeImportResult Import(
        string yaml, IReadOnlyDictionary<string, string>? variables = null, IReadOnlyDictionary<string, string>? files = null) =>
        ComposeImporter.Import(yaml, ComposePath, sources: new ComposeSources(name => variables?.GetValueOrDefault(name), path => files?.GetValueOrDefault(path)));

    /// <summary>The findings as printed, with the compose file's path left out: <c>LINE:COL: message</c>.</summary>
    public static string[] Findings(ComposeImportResult result) =>
        [.. result.Findings.Select(finding => finding.ToString().Replace(ComposePath + ":", "", StringComparison.Ordinal))];

    /// <summary>The settings of one service as written in the manifest, without its name line and indentation.</summary>
    public static string Service(ComposeImportResult result, string name)
    {
        Assert.NotNull(result.Manifest);
        var lines = result.Manifest.Split('\n');
        var start = Array.IndexOf(lines, $"  {name}:");
        Assert.True(start >= 0, $"no service {name} in:\n{result.Manifest}");
        var body = lines.Skip(start + 1).TakeWhile(line => line.StartsWith("    ", StringComparison.Ordinal)).Select(line => line[4..]);
        return string.Join('\n', body) + "\n";
    }
}
