using System.Text.Json;
using System.Text.Json.Nodes;

namespace MeshDev.Authoring.Profiles;

/// <summary><c>.vscode/launch.json</c>: one <c>coreclr</c> launch configuration <c>{svc} (mesh)</c> per service, merged into <c>configurations</c>.</summary>
internal static class VsCodeLaunchFile
{
    /// <summary>Four spaces: what VS Code writes.</summary>
    public const string DefaultIndent = "    ";

    public static string PathFor(string workspace) => Path.Combine(workspace, ".vscode", "launch.json");

    /// <summary>Adds or replaces the configuration of each profile (matched by <c>name</c>); a file without <c>version</c> gets one.</summary>
    /// <exception cref="JsoncException">The top level is not an object, or <c>configurations</c> is not an array.</exception>
    public static void Merge(JsoncEditor editor, IEnumerable<MeshLaunchProfile> profiles, string workspace)
    {
        VsCodeFile.EnsureVersion(editor, "0.2.0", "launch.json");
        foreach (var profile in profiles)
        {
            VsCodeFile.SetEntry(editor, "configurations", "name", profile.Name, ToJson(profile, workspace), "launch.json");
        }
    }

    public static JsonObject ToJson(MeshLaunchProfile profile, string workspace)
    {
        // The app's own URL setting, as the launchSettings.json profile's applicationUrl gives it under `dotnet run`.
        var environment = new JsonObject { ["ASPNETCORE_URLS"] = profile.ApplicationUrl };
        foreach (var (name, value) in profile.Environment)
        {
            environment[name] = value;
        }

        var projectFolder = Path.GetDirectoryName(profile.ProjectPath)!;
        return new JsonObject
        {
            ["name"] = profile.Name,
            ["type"] = "coreclr",
            ["request"] = "launch",
            ["preLaunchTask"] = profile.BuildTaskLabel,
            ["program"] = VsCodePaths.InWorkspace(workspace, profile.Output.AppPath(profile.ProjectPath)),
            ["args"] = new JsonArray(),
            ["cwd"] = VsCodePaths.InWorkspace(workspace, projectFolder),

            // Without it the C# extension applies the first 'Project' profile of launchSettings.json (its applicationUrl
            // included) under this configuration; naming the mesh profile keeps both files saying the same thing.
            ["launchSettingsProfile"] = profile.Name,
            ["env"] = environment,
            ["stopAtEntry"] = false,
        };
    }
}
