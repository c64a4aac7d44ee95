using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using MeshDev.Authoring.Profiles;
using MeshDev.Catalog;

namespace MeshDev.Authoring.Init;

/// <summary>
/// The launch profile of a project that <c>init</c> takes its port and environment from (see
/// <see cref="LaunchSettingsFile.FirstHttpProfile"/>). Variables the mesh sets at each launch (the listening address,
/// <c>PORT</c>, discovery) are left out: an explicit one in the manifest would win over the mesh's.
/// </summary>
internal sealed record ProjectLaunchProfile(
    string FilePath,
    string Name,
    int? Port,
    ImmutableArray<KeyValuePair<string, string>> Env,
    ImmutableArray<string> DiscoveryVariables)
{
    private static readonly HashSet<string> SetByMesh = new(
        ["ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "DOTNET_URLS", "URLS", "PORT", "MESHDEV_SERVICE"],
        StringComparer.OrdinalIgnoreCase);

    /// <summary>The project's profile, or null when it has no launchSettings.json or no Project profile in it.</summary>
    /// <param name="warnings">Gets a <c>FILE:LINE:COL: message</c> when the file is not valid JSON, and a sentence per variable left out.</param>
    public static ProjectLaunchProfile? Read(string projectPath, List<string> warnings)
    {
        var path = LaunchSettingsFile.PathFor(projectPath);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            warnings.Add($"cannot read {path}: {e.Message}; no port or environment taken from it");
            return null;
        }

        JsoncValue root;
        try
        {
            root = JsoncParser.Parse(bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? bytes.AsSpan(Encoding.UTF8.Preamble.Length) : bytes);
        }
        catch (JsoncException e)
        {
            warnings.Add($"{e.Format(path)}; no port or environment taken from it");
            return null;
        }

        if (LaunchSettingsFile.FirstHttpProfile(root) is not var (name, profile))
        {
            return null;
        }

        var env = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>();
        var discovery = ImmutableArray.CreateBuilder<string>();
        var variables = profile.Member("environmentVariables") is { Kind: JsonValueKind.Object } o ? o.Members : [];
        foreach (var variable in variables)
        {
            // .NET configuration reads "Logging:LogLevel" and "Logging__LogLevel" alike; only the second is a variable name everywhere.
            var variableName = variable.Name.Replace(":", "__", StringComparison.Ordinal);
            if (ServiceReferences.FromEnvironmentName(variableName) is not null)
            {
                discovery.Add(variableName);
            }
            else if (SetByMesh.Contains(variableName))
            {
                continue;
            }
            else if (!ManifestValues.IsValidEnvironmentName(variableName) || variable.Value.String is not { } value)
            {
                warnings.Add($"{path}: variable '{variable.Name}' of profile '{name}' is left out: the manifest's env takes names of letters, digits and '_' with string values");
            }
            else
            {
                env.Add(new(variableName, value));
            }
        }

        return new ProjectLaunchProfile(path, name, LaunchSettingsFile.HttpPort(profile), env.ToImmutable(), discovery.ToImmutable());
    }
}
