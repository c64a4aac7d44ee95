using System.Collections.Immutable;
using System.Globalization;

namespace MeshDev.Xds.Resources;

/// <summary>
/// All resources of one type in a snapshot, sorted by name, with the type's version: it goes up exactly when a
/// resource of the type was added, removed or changed, so a client's <c>version_info</c> names a state of the world.
/// </summary>
public sealed class XdsResourceSet
{
    public XdsResourceSet(string typeUrl, long version, ImmutableSortedDictionary<string, XdsResource> resources)
    {
        TypeUrl = typeUrl;
        Version = version;
        Resources = resources;
    }

    public string TypeUrl { get; }

    public long Version { get; }

    /// <summary>The version as sent in <c>DiscoveryResponse.version_info</c>.</summary>
    public string VersionInfo => Version.ToString(CultureInfo.InvariantCulture);

    public ImmutableSortedDictionary<string, XdsResource> Resources { get; }

    /// <summary>This set again when <paramref name="resources"/> holds the same content, else the next version.</summary>
    public XdsResourceSet Next(ImmutableSortedDictionary<string, XdsResource> resources) =>
        SameContent(Resources, resources) ? this : new XdsResourceSet(TypeUrl, Version + 1, resources);

    public static ImmutableSortedDictionary<string, XdsResource> ToDictionary(IEnumerable<XdsResource> resources) =>
        resources.ToImmutableSortedDictionary(r => r.Name, r => r, StringComparer.Ordinal);

    internal static bool SameContent(IReadOnlyDictionary<string, XdsResource> left, IReadOnlyDictionary<string, XdsResource> right)
    {
        if (ReferenceEquals(left, right))
        {
            return true;
        }

        if (left.Count != right.Count)
        {
            return false;
        }

        foreach (var (name, resource) in left)
        {
            if (!right.TryGetValue(name, out var other) || !resource.SameContent(other))
            {
                return false;
            }
        }

        return true;
    }
}
