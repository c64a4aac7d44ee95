using System.Collections.Immutable;
using MeshDev.Catalog;

namespace MeshDev.Authoring.Profiles;

/// <summary>
/// Which services get an IDE launch profile: the .NET (<c>project:</c>) services named, or all of them, that have a
/// fixed port. The others are skipped, each with one sentence that says why and what to change.
/// </summary>
/// <param name="Targets">The services to write profiles for, in manifest order.</param>
/// <param name="Skipped">One sentence per service that was left out.</param>
/// <param name="Unknown">Names given that are not services of the manifest.</param>
public sealed record ProfileSelection(ImmutableArray<ServiceSpec> Targets, ImmutableArray<string> Skipped, ImmutableArray<string> Unknown)
{
    /// <summary>The .NET services skipped for want of a fixed port, each with the free port suggested for it.</summary>
    public ImmutableDictionary<string, int> PortsToSuggest { get; init; } = ImmutableDictionary<string, int>.Empty;

    /// <summary>Selects from <paramref name="manifest"/>; no <paramref name="names"/> means every .NET service.</summary>
    /// <param name="isFree">Whether a port can be suggested (nothing listens on it); the real check by default.</param>
    public static ProfileSelection Select(MeshManifest manifest, IReadOnlyCollection<string> names, Func<int, bool>? isFree = null)
    {
        var unknown = names.Where(n => manifest.Find(n) is null).ToImmutableArray();
        var named = names.Count == 0
            ? manifest.Services.Where(s => s.Project is not null).ToList()
            : manifest.Services.Where(s => names.Contains(s.Name, StringComparer.OrdinalIgnoreCase)).ToList();

        var targets = ImmutableArray.CreateBuilder<ServiceSpec>();
        var skipped = ImmutableArray.CreateBuilder<string>();
        var portsToSuggest = ImmutableDictionary.CreateBuilder<string, int>();

        // Every .NET service without a port gets its port in manifest order, named or not: the port suggested for a
        // service is the one --assign-ports writes for it, whichever services either run names.
        var suggestions = new PortSuggestions(manifest, isFree);
        var suggested = manifest.Services.Where(s => s.Project is not null && s.Port is null).ToDictionary(s => s.Name, suggestions.For);
        var manifestName = Path.GetFileName(manifest.FilePath);
        foreach (var service in named)
        {
            if (service.Project is null)
            {
                skipped.Add($"{service.Name} is not a .NET service (it has no 'project:'), so there is no launch profile to write for it; skipped.");
            }
            else if (service.Port is null)
            {
                var port = suggested[service.Name];
                portsToSuggest[service.Name] = port;
                skipped.Add($"{service.Name} has no fixed port (port: auto), so the mesh could not find and adopt an instance run from the IDE; skipped: --assign-ports writes 'port: {port}' for it into {manifestName} (or add that line yourself).");
            }
            else
            {
                targets.Add(service);
            }
        }

        return new ProfileSelection(targets.ToImmutable(), skipped.ToImmutable(), unknown) { PortsToSuggest = portsToSuggest.ToImmutable() };
    }
}
