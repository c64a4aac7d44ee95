using YamlDotNet.RepresentationModel;

namespace MeshDev.Authoring.Compose;

/// <summary>
/// The <c>docker build</c> command that makes the image of a compose service with <c>build:</c>. The manifest has no
/// build settings, so the import says it once; plain Docker (Debian's docker.io, an engine without the compose plugin)
/// has no <c>docker compose build</c>, and a placeholder for the folder leaves the user to find it in the compose file.
/// </summary>
internal static class BuildCommand
{
    /// <summary>The command, with the paths as the user would type them from where they ran the import; null when the build cannot be read.</summary>
    public static string? For(ImportContext context, YamlNode build, string image)
    {
        string? buildContext;
        string? dockerfile = null;
        if (build is YamlMappingNode mapping)
        {
            var fields = context.Reader.Entries(mapping).ToDictionary(entry => entry.Key.Value ?? "", entry => entry.Value, StringComparer.Ordinal);
            if (fields.ContainsKey("dockerfile_inline"))
            {
                // The Dockerfile is in the compose file itself; only compose can build it.
                return null;
            }

            buildContext = fields.TryGetValue("context", out var contextNode) ? context.Reader.Text(contextNode) : ".";
            dockerfile = fields.TryGetValue("dockerfile", out var dockerfileNode) ? context.Reader.Text(dockerfileNode) : null;
        }
        else
        {
            buildContext = context.Reader.Text(build);
        }

        if (string.IsNullOrEmpty(buildContext))
        {
            return null;
        }

        if (IsRemote(buildContext))
        {
            // docker build takes a Git URL as it is; compose resolves the Dockerfile inside it.
            return dockerfile is null ? $"docker build -t {image} {buildContext}" : null;
        }

        var folder = Shown(context, buildContext);
        var file = dockerfile is null ? "" : $" -f {Shown(context, Path.IsPathRooted(dockerfile) ? dockerfile : Path.Join(buildContext, dockerfile))}";
        return $"docker build -t {image}{file} {folder}";
    }

    private static bool IsRemote(string buildContext) =>
        buildContext.Contains("://", StringComparison.Ordinal) || buildContext.StartsWith("git@", StringComparison.Ordinal);

    // '.' and './web' read as they would be typed in the folder the import ran in: 'shop', 'shop/web'.
    private static string Shown(ImportContext context, string path)
    {
        var shown = context.FilePath(path == "." ? "" : path);
        return shown.Length == 0 ? "." : Quoted(shown);
    }

    // A path with a space or a shell character is pasted into a shell as one word.
    private static string Quoted(string path) =>
        path.All(c => char.IsAsciiLetterOrDigit(c) || "/._-+@:,=".Contains(c, StringComparison.Ordinal))
            ? path
            : $"'{path.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}
