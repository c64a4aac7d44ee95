using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using MeshDev.Catalog;

namespace MeshDev.Authoring.Compose;

/// <summary>
/// Compose's host names (<c>db</c>, <c>cache</c>) exist only on compose's network. In the services' <c>env</c> they are
/// rewritten to the mesh's address of that service, <c>127.0.0.1:{meshPort}</c>, so a call launches it on demand:
/// in a URL (<c>postgres://u:p@db:5432/app</c>), as <c>host:port</c> (<c>cache:6379</c>), as a connection string's
/// <c>Host=db</c>, and as the whole value of a variable named like a host (<c>DB_HOST: db</c>, which gets <c>127.0.0.1</c>:
/// its port variable stays the service's own).
/// </summary>
internal static partial class HostNameRewriter
{
    /// <summary>The services with their env rewritten, and a mesh port written out for each service an env now points at.</summary>
    public static (IReadOnlyList<ImportedService> Services, ImmutableArray<ComposeRewrite> Rewrites) Rewrite(IReadOnlyList<ImportedService> services)
    {
        var meshPorts = MeshPorts(services);
        // Host names are case-insensitive; of two services named alike only in case, the first one keeps the name.
        var byHost = new Dictionary<string, ImportedService>(StringComparer.OrdinalIgnoreCase);
        foreach (var service in services)
        {
            byHost.TryAdd(service.ComposeName.Value ?? "", service);
        }

        var targets = new HashSet<string>(StringComparer.Ordinal);
        var rewrites = ImmutableArray.CreateBuilder<ComposeRewrite>();
        var result = new List<ImportedService>(services.Count);
        foreach (var service in services)
        {
            var env = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>(service.Env.Length);
            foreach (var (name, value) in service.Env)
            {
                var after = RewriteValue(service, name, value, byHost, meshPorts, targets);
                if (after != value)
                {
                    rewrites.Add(new ComposeRewrite(service.Name, name, value, after));
                }

                env.Add(KeyValuePair.Create(name, after));
            }

            result.Add(service with { Env = env.MoveToImmutable() });
        }

        // The env now holds these ports, so they are written out: a later change of mesh.portRange must not move them.
        return ([.. result.Select(service => targets.Contains(service.Name) ? service with { MeshPort = meshPorts[service.Name] } : service)], rewrites.ToImmutable());
    }

    private static string RewriteValue(
        ImportedService service, string name, string value, Dictionary<string, ImportedService> byHost, Dictionary<string, int> meshPorts, HashSet<string> targets)
    {
        // Without a port beside it, the host alone reaches the service's own port on the host network, not its mesh port.
        if (LooksLikeHostVariable(name) && byHost.TryGetValue(value, out var whole) && whole.Name != service.Name)
        {
            return "127.0.0.1";
        }

        if (ConnectionStringHost().Match(value) is { Success: true } key && byHost.TryGetValue(key.Groups["host"].Value, out var database))
        {
            targets.Add(database.Name);
            return WithMeshHost(value, key, database, meshPorts[database.Name]);
        }

        return Address().Replace(value, match =>
        {
            if (!byHost.TryGetValue(match.Groups["host"].Value, out var target))
            {
                return match.Value;
            }

            // A port other than the one the service listens on is one of its other ports: on the host network it is reached directly.
            var port = match.Groups["port"];
            var meshPort = meshPorts[target.Name];
            var written = !port.Success || int.Parse(port.Value, CultureInfo.InvariantCulture) == target.Port ? meshPort.ToString(CultureInfo.InvariantCulture) : port.Value;
            targets.Add(target.Name);
            return $"{match.Groups["scheme"].Value}127.0.0.1:{written}";
        });
    }

    /// <summary>
    /// <c>Host=db;Port=5432;…</c> (Npgsql, MySQL): the host becomes 127.0.0.1 and the port the mesh port, added when the
    /// string leaves it to the driver's default (which is the service's own port).
    /// </summary>
    private static string WithMeshHost(string value, Match key, ImportedService target, int meshPort)
    {
        var host = key.Groups["host"];
        var rewritten = value[..host.Index] + "127.0.0.1" + value[(host.Index + host.Length)..];
        if (ConnectionStringPort().Match(rewritten) is not { Success: true } port)
        {
            return rewritten.Insert(host.Index + "127.0.0.1".Length, $";Port={meshPort}");
        }

        var number = port.Groups["port"];
        return number.Value == target.Port?.ToString(CultureInfo.InvariantCulture)
            ? rewritten[..number.Index] + meshPort.ToString(CultureInfo.InvariantCulture) + rewritten[(number.Index + number.Length)..]
            : rewritten;
    }

    private static bool LooksLikeHostVariable(string name) =>
        name.EndsWith("HOST", StringComparison.OrdinalIgnoreCase) || name.EndsWith("HOSTNAME", StringComparison.OrdinalIgnoreCase) ||
        name.EndsWith("SERVER", StringComparison.OrdinalIgnoreCase) || name.EndsWith("ADDR", StringComparison.OrdinalIgnoreCase);

    /// <summary>Each service's mesh port as the manifest will have it: its own, else the one the loader assigns from the default range.</summary>
    private static Dictionary<string, int> MeshPorts(IReadOnlyList<ImportedService> services)
    {
        var specs = services.Select(service => new ServiceSpec { Name = service.Name, WorkingDir = "", Port = service.Port, MeshPort = service.MeshPort ?? 0 }).ToList();
        var assigned = MeshPortAssigner.Assign(specs, new MeshSettings(), new ManifestDiagnostics(""));
        return assigned.ToDictionary(spec => spec.Name, spec => spec.MeshPort, StringComparer.Ordinal);
    }

    /// <summary>
    /// A URL's scheme, user info, host and port (<c>redis://:secret@cache:6379</c>), or a host and port on its own
    /// (<c>cache:6379</c>, not inside a longer name or path).
    /// </summary>
    [GeneratedRegex(@"(?<scheme>[A-Za-z][A-Za-z0-9+.\-]*://(?:[^@/\s]*@)?)(?<host>[A-Za-z0-9_.\-]+)(?::(?<port>\d{1,5}))?(?![A-Za-z0-9_.\-])|(?<![A-Za-z0-9_.\-/@:])(?<host>[A-Za-z0-9_\-]+):(?<port>\d{1,5})(?![0-9])")]
    private static partial Regex Address();

    [GeneratedRegex(@"(?:^|;)\s*(?:Host|Server)\s*=\s*(?<host>[A-Za-z0-9_\-]+)\s*(?=;|$)", RegexOptions.IgnoreCase)]
    private static partial Regex ConnectionStringHost();

    [GeneratedRegex(@"(?:^|;)\s*Port\s*=\s*(?<port>\d{1,5})\s*(?=;|$)", RegexOptions.IgnoreCase)]
    private static partial Regex ConnectionStringPort();
}
