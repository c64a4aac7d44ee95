using MeshDev.Catalog;

namespace MeshDev.Authoring.Init;

/// <summary>What <c>init</c> made: the plan, the manifest text, and the problems the manifest loader found in it (none when it is valid).</summary>
public sealed record InitResult(InitPlan Plan, string Yaml, IReadOnlyList<ManifestError> Problems);

/// <summary>
/// <c>meshdev init</c>: a manifest with one <c>project:</c> service per web or gRPC project, read from the project,
/// launchSettings.json, .proto, appsettings and source text (no build), and checked by the same loader <c>up</c> uses.
/// </summary>
public static class ManifestInit
{
    /// <summary>Plans, writes and validates the manifest for <paramref name="manifestPath"/>; writes no file.</summary>
    public static InitResult Create(InitSources sources, string manifestPath)
    {
        var plan = InitPlanner.Plan(sources, manifestPath);
        var yaml = InitManifestWriter.Write(plan, manifestPath);
        if (plan.Services.IsEmpty)
        {
            return new InitResult(plan, yaml, []);
        }

        try
        {
            ManifestLoader.Parse(yaml, manifestPath);
            return new InitResult(plan, yaml, []);
        }
        catch (ManifestException e)
        {
            return new InitResult(plan, yaml, e.Errors);
        }
    }
}
