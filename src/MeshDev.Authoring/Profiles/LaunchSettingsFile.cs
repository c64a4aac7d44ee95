using System.Text.Json;
using System.Text.Json.Nodes;
using MeshDev.Catalog;

namespace MeshDev.Authoring.Profiles;

/// <summary>
/// A project's <c>Properties/launchSettings.json</c> (Visual Studio, Rider, VS Code and <c>dotnet run</c> read it): the
/// <c>{svc} (mesh)</c> profile merged into <c>profiles</c>, and what the user's own default profile says.
/// </summary>
internal static class LaunchSettingsFile
{
    /// <summary>Two spaces: what <c>dotnet new</c> and Visual Studio write.</summary>
    public const string DefaultIndent = "  ";

    public static string PathFor(string projectPath) =>
        Path.Combine(Path.GetDirectoryName(projectPath)!, "Properties", "launchSettings.json");

    /// <summary>
    /// Builds the profile of <paramref name="service"/> — carrying over the user's default profile's ASPNETCORE_ENVIRONMENT
    /// as this file has it now — and merges it in.
    /// </summary>
    /// <exception cref="JsoncException">The file's top level or its <c>profiles</c> is not an object.</exception>
    public static MeshLaunchProfile Merge(JsoncEditor editor, MeshManifest manifest, ServiceSpec service, ProjectOutput output)
    {
        var profile = MeshLaunchProfile.Create(manifest, service, DefaultEnvironment(editor.Root), output);
        Merge(editor, profile);
        return profile;
    }

    /// <summary>Adds or replaces <paramref name="profile"/> in <c>profiles</c>, creating <c>profiles</c> when the file has none.</summary>
    /// <exception cref="JsoncException">The file's top level or its <c>profiles</c> is not an object.</exception>
    public static void Merge(JsoncEditor editor, MeshLaunchProfile profile)
    {
        var root = RequireObject(editor, editor.Root, "the top level of launchSettings.json must be an object");
        var settings = ToJson(profile);
        if (root.Member("profiles") is not { } profiles)
        {
            editor.SetMember(root, "profiles", new JsonObject { [profile.Name] = settings });
            return;
        }

        editor.SetMember(RequireObject(editor, profiles, "'profiles' must be an object of named launch profiles"), profile.Name, settings);
    }

    /// <summary>
    /// ASPNETCORE_ENVIRONMENT of the profile <c>dotnet run</c> picks by default — the first with <c>commandName: Project</c>,
    /// not counting the mesh's own — or null.
    /// </summary>
    public static string? DefaultEnvironment(JsoncValue root) =>
        DefaultProfile(root)?.Member("environmentVariables")?.Member("ASPNETCORE_ENVIRONMENT")?.String;

    /// <summary>The port of the default profile's first <c>http://</c> application URL, or null.</summary>
    public static int? DefaultHttpPort(JsoncValue root) => DefaultProfile(root) is { } profile ? HttpPort(profile) : null;

    /// <summary>
    /// The first of the user's <c>commandName: Project</c> profiles with an <c>http://</c> application URL (the one a
    /// developer runs without TLS), else the first Project profile, else null; the mesh's own profiles never count.
    /// </summary>
    public static (string Name, JsoncValue Profile)? FirstHttpProfile(JsoncValue root)
    {
        var projects = UserProfiles(root).Where(p => p.Value.Member("commandName")?.String == "Project").ToList();
        var chosen = projects.FirstOrDefault(p => HttpPort(p.Value) is not null) ?? projects.FirstOrDefault();
        return chosen is null ? null : (chosen.Name, chosen.Value);
    }

    /// <summary>The port of the profile's first <c>http://</c> application URL that names one, or null.</summary>
    public static int? HttpPort(JsoncValue profile)
    {
        var urls = profile.Member("applicationUrl")?.String ?? "";
        return urls.Split(';', StringSplitOptions.TrimEntries)
            .Where(url => url.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            .Select(url => Uri.TryCreate(url, UriKind.Absolute, out var uri) && !uri.IsDefaultPort ? uri.Port : (int?)null)
            .FirstOrDefault(port => port is not null);
    }

    /// <summary>The profile's settings, in the order Visual Studio writes its own.</summary>
    public static JsonObject ToJson(MeshLaunchProfile profile)
    {
        var environment = new JsonObject();
        foreach (var (name, value) in profile.Environment)
        {
            environment[name] = value;
        }

        return new JsonObject
        {
            ["commandName"] = "Project",
            ["launchBrowser"] = false,
            ["applicationUrl"] = profile.ApplicationUrl,
            ["environmentVariables"] = environment,
        };
    }

    private static JsoncValue? DefaultProfile(JsoncValue root) =>
        UserProfiles(root).Select(p => p.Value).FirstOrDefault(p => p.Member("commandName")?.String == "Project");

    private static IEnumerable<JsoncMember> UserProfiles(JsoncValue root) =>
        root.Member("profiles")?.Members.Where(p => !MeshLaunchProfile.IsProfileName(p.Name)) ?? [];

    private static JsoncValue RequireObject(JsoncEditor editor, JsoncValue value, string message) =>
        value.Kind == JsonValueKind.Object ? value : throw editor.ProblemAt(value, message);
}
