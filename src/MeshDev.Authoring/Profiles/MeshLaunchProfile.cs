using System.Collections.Immutable;
using System.Globalization;
using MeshDev.Catalog;
using MeshDev.Discovery;
using MeshDev.Runtime;

namespace MeshDev.Authoring.Profiles;

/// <summary>
/// What an IDE needs to run one .NET service so that the mesh adopts the instance: the service's fixed port (an
/// instance already listening there is adopted as <c>external</c>) and the environment the mesh would launch it with.
/// </summary>
public sealed record MeshLaunchProfile
{
    public required string Service { get; init; }

    /// <summary>The absolute path of the service's .csproj.</summary>
    public required string ProjectPath { get; init; }

    /// <summary>The service's fixed <c>port</c> from the manifest.</summary>
    public required int Port { get; init; }

    /// <summary>The variables, sorted by name (ordinal) so the written files do not depend on dictionary order.</summary>
    public required ImmutableArray<KeyValuePair<string, string>> Environment { get; init; }

    public required ProjectOutput Output { get; init; }

    /// <summary>The profile's (and VS Code configuration's) name: <c>{service} (mesh)</c>.</summary>
    public string Name => ProfileName(Service);

    public string ApplicationUrl => $"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The VS Code task that builds the project before a launch.</summary>
    public string BuildTaskLabel => $"build {Service}";

    /// <summary><c>orders</c> → <c>orders (mesh)</c>.</summary>
    public static string ProfileName(string service) => $"{service} (mesh)";

    /// <summary>True for a name this command writes, which a user's own default profile never is.</summary>
    public static bool IsProfileName(string name) => name.EndsWith(" (mesh)", StringComparison.Ordinal);

    /// <summary>
    /// The profile of <paramref name="service"/> (a <c>project:</c> service with a fixed port). The environment is built
    /// as the process runtime builds it — the service's <c>env</c> (with <c>${PORT}</c> substituted), then the discovery
    /// variables over it, then PORT — from the same <see cref="DiscoveryEnvironment"/>. <paramref name="aspNetCoreEnvironment"/>
    /// is the user's default profile's ASPNETCORE_ENVIRONMENT, carried over when the manifest does not set one.
    /// </summary>
    public static MeshLaunchProfile Create(MeshManifest manifest, ServiceSpec service, string? aspNetCoreEnvironment, ProjectOutput output)
    {
        var port = service.Port ?? throw new ArgumentException($"{service.Name} has no fixed port", nameof(service));
        var project = service.Project ?? throw new ArgumentException($"{service.Name} has no project", nameof(service));

        // A launch request is how the runtime substitutes ${PORT}; this one is never launched, so it logs nowhere.
        using var noLog = new ServiceLog(service.Name, null);
        var launch = new LaunchRequest(service, port, DiscoveryEnvironment.ForLaunch(DiscoveryEnvironment.ForMesh(manifest), manifest, service), noLog);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in service.Env.Concat(launch.Environment))
        {
            environment[name] = launch.Substitute(value);
        }

        environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
        if (aspNetCoreEnvironment is not null)
        {
            environment.TryAdd("ASPNETCORE_ENVIRONMENT", aspNetCoreEnvironment);
        }

        return new MeshLaunchProfile
        {
            Service = service.Name,
            ProjectPath = project,
            Port = port,
            Environment = [.. environment.OrderBy(e => e.Key, StringComparer.Ordinal)],
            Output = output,
        };
    }
}
