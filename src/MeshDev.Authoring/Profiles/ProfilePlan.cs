using System.Collections.Immutable;
using MeshDev.Catalog;

namespace MeshDev.Authoring.Profiles;

/// <summary>
/// The files of <c>meshdev profiles</c> and their content after the merge, all computed before anything is written,
/// so that one file that cannot be read or merged leaves every file untouched.
/// </summary>
/// <param name="Files">Each project's launchSettings.json, then .vscode/launch.json and .vscode/tasks.json.</param>
/// <param name="Errors">One <c>FILE:LINE:COL: message</c> (or <c>FILE: message</c>) per file that cannot be merged into.</param>
public sealed record ProfilePlan(ImmutableArray<ProfileFile> Files, ImmutableArray<string> Errors)
{
    /// <summary>Plans the profiles of <paramref name="services"/> (<c>project:</c> services with a fixed port).</summary>
    public static ProfilePlan Create(MeshManifest manifest, IReadOnlyList<ServiceSpec> services)
    {
        var files = ImmutableArray.CreateBuilder<ProfileFile>();
        var errors = ImmutableArray.CreateBuilder<string>();
        var profiles = new List<MeshLaunchProfile>();

        // Two services may share a project (and so a launchSettings.json): one read and one write for both.
        foreach (var project in services.GroupBy(s => LaunchSettingsFile.PathFor(s.Project!), StringComparer.Ordinal))
        {
            Merge(project.Key, LaunchSettingsFile.DefaultIndent, files, errors, editor =>
            {
                foreach (var service in project)
                {
                    profiles.Add(LaunchSettingsFile.Merge(editor, manifest, service, ProjectOutput.Read(service.Project!)));
                }
            });
        }

        if (profiles.Count > 0)
        {
            var workspace = manifest.Directory;
            Merge(VsCodeLaunchFile.PathFor(workspace), VsCodeLaunchFile.DefaultIndent, files, errors, editor => VsCodeLaunchFile.Merge(editor, profiles, workspace));
            Merge(VsCodeTasksFile.PathFor(workspace), VsCodeLaunchFile.DefaultIndent, files, errors, editor => VsCodeTasksFile.Merge(editor, profiles, workspace));
        }

        return new ProfilePlan(files.ToImmutable(), errors.ToImmutable());
    }

    private static void Merge(string path, string defaultIndent, ImmutableArray<ProfileFile>.Builder files, ImmutableArray<string>.Builder errors, Action<JsoncEditor> merge)
    {
        byte[]? before;
        try
        {
            before = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            before = null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Add($"{path}: cannot be read: {e.Message}");
            return;
        }

        try
        {
            var editor = new JsoncEditor(before, defaultIndent);
            merge(editor);
            files.Add(new ProfileFile(path, before, editor.ToBytes()));
        }
        catch (JsoncException e)
        {
            errors.Add(e.Format(path));
        }
    }
}
