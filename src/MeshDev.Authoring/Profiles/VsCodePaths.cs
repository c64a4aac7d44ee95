namespace MeshDev.Authoring.Profiles;

/// <summary>
/// Paths as <c>.vscode/*.json</c> files write them: <c>${workspaceFolder}/…</c> with forward slashes for what lies
/// inside the workspace (the manifest's folder), so the files can be committed and work on every clone.
/// </summary>
internal static class VsCodePaths
{
    public static string InWorkspace(string workspace, string path)
    {
        var relative = Path.GetRelativePath(workspace, path);
        if (Path.IsPathRooted(relative) || relative == ".." || relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return path;
        }

        return relative == "." ? "${workspaceFolder}" : "${workspaceFolder}/" + relative.Replace(Path.DirectorySeparatorChar, '/');
    }
}
