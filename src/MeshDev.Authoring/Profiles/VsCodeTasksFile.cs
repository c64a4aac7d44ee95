using System.Text.Json.Nodes;

namespace MeshDev.Authoring.Profiles;

/// <summary><c>.vscode/tasks.json</c>: one <c>build {svc}</c> task per service (the launch configuration's preLaunchTask), merged into <c>tasks</c>.</summary>
internal static class VsCodeTasksFile
{
    public static string PathFor(string workspace) => Path.Combine(workspace, ".vscode", "tasks.json");

    /// <summary>Adds or replaces each profile's build task (matched by <c>label</c>); a file without <c>version</c> gets one.</summary>
    /// <exception cref="JsoncException">The top level is not an object, or <c>tasks</c> is not an array.</exception>
    public static void Merge(JsoncEditor editor, IEnumerable<MeshLaunchProfile> profiles, string workspace)
    {
        // VS Code refuses a tasks.json without "version": "2.0.0".
        VsCodeFile.EnsureVersion(editor, "2.0.0", "tasks.json");
        foreach (var profile in profiles)
        {
            VsCodeFile.SetEntry(editor, "tasks", "label", profile.BuildTaskLabel, ToJson(profile, workspace), "tasks.json");
        }
    }

    public static JsonObject ToJson(MeshLaunchProfile profile, string workspace) => new()
    {
        ["label"] = profile.BuildTaskLabel,
        ["type"] = "process",
        ["command"] = "dotnet",

        // Full paths and no summary: what the $msCompile problem matcher needs to link errors to files, once each.
        ["args"] = new JsonArray("build", VsCodePaths.InWorkspace(workspace, profile.ProjectPath), "/property:GenerateFullPaths=true", "/consoleloggerparameters:NoSummary"),
        ["group"] = "build",
        ["problemMatcher"] = "$msCompile",
    };
}
