namespace MeshDev.Authoring.Compose;

/// <summary>
/// Databases, caches and brokers that compose files run from stock images: they speak their own protocols, so their
/// manifest services are <c>protocol: tcp</c>, and they listen on a well-known port that compose files rarely write down.
/// </summary>
internal static class KnownImages
{
    private static readonly (string Prefix, int Port)[] TcpImages =
    [
        ("postgres", 5432),
        ("mysql", 3306),
        ("mariadb", 3306),
        ("redis", 6379),
        ("mongo", 27017),
        ("rabbitmq", 5672),
        ("memcached", 11211),
    ];

    private static readonly HashSet<int> TcpPorts = [.. TcpImages.Select(image => image.Port)];

    /// <summary>
    /// The well-known port of a known image (<c>postgres:16</c>, <c>docker.io/library/redis</c>, <c>bitnami/mongodb</c>); null otherwise,
    /// also for the tools named after one (<c>mongo-express</c>, <c>postgres-exporter</c>).
    /// </summary>
    public static int? DefaultPort(string? image)
    {
        if (image is null)
        {
            return null;
        }

        var name = RepositoryName(image);
        foreach (var (prefix, port) in TcpImages)
        {
            // postgresql and mongodb are the products too; mongo-express and redis-commander are web tools named after them.
            if (name.StartsWith(prefix, StringComparison.Ordinal) && !name[prefix.Length..].StartsWith('-') && !name[prefix.Length..].StartsWith('_'))
            {
                return port;
            }
        }

        return null;
    }

    /// <summary>True when the service should be <c>protocol: tcp</c>: a known image, or a known port.</summary>
    public static bool SpeaksTcp(string? image, int? port) => DefaultPort(image) is not null || (port is { } p && TcpPorts.Contains(p));

    /// <summary>The last path segment of the repository, without registry, namespace, tag or digest: <c>registry:5000/lib/redis:7@sha256:…</c> → <c>redis</c>.</summary>
    private static string RepositoryName(string image)
    {
        var name = image.Split('@')[0];
        name = name[(name.LastIndexOf('/') + 1)..];
        return name.Split(':')[0].ToLowerInvariant();
    }
}
