using System.Collections.Immutable;
using Google.Protobuf.Collections;
using MeshDev.Xds.Resources;

namespace MeshDev.Xds.Server;

/// <summary>One resource type on one ADS stream: the subscription and where the conversation about it stands.</summary>
internal sealed class TypeSubscription(string typeUrl)
{
    private static readonly ImmutableSortedDictionary<string, XdsResource> None = ImmutableSortedDictionary.Create<string, XdsResource>(StringComparer.Ordinal);

    private bool _requested;

    public string TypeUrl { get; } = typeUrl;

    public bool Wildcard { get; private set; }

    public ImmutableSortedSet<string> Names { get; private set; } = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    public string? SentVersion { get; private set; }

    public string? SentNonce { get; private set; }

    /// <summary>The resources of the last response, accepted or not: a new response goes out only when they change.</summary>
    public IReadOnlyDictionary<string, XdsResource>? Sent { get; private set; }

    public string? AcceptedVersion { get; private set; }

    public IReadOnlyDictionary<string, XdsResource> Accepted { get; private set; } = None;

    public XdsNack? LastNack { get; private set; }

    /// <summary>
    /// Takes the names of a request: empty = everything for listeners and clusters on the first request (and
    /// afterwards while the wildcard holds), <c>*</c> = everything plus the other names. True when it changed.
    /// </summary>
    public bool Update(RepeatedField<string> names)
    {
        var first = !_requested;
        _requested = true;
        var wildcard = XdsTypes.AllowsWildcard(TypeUrl) && (names.Contains("*") || (names.Count == 0 && (first || Wildcard)));
        var explicitNames = names.Where(n => n != "*").ToImmutableSortedSet(StringComparer.Ordinal);
        var changed = wildcard != Wildcard || !explicitNames.SetEquals(Names);
        Wildcard = wildcard;
        Names = explicitNames;
        return changed;
    }

    /// <summary>What this subscription gets of <paramref name="set"/>: everything, or exactly the names asked for that exist.</summary>
    public IReadOnlyDictionary<string, XdsResource> Select(XdsResourceSet set)
    {
        if (Wildcard)
        {
            return set.Resources;
        }

        var selected = ImmutableSortedDictionary.CreateBuilder<string, XdsResource>(StringComparer.Ordinal);
        foreach (var name in Names)
        {
            if (set.Resources.TryGetValue(name, out var resource))
            {
                selected.Add(name, resource);
            }
        }

        return selected.ToImmutable();
    }

    public void MarkSent(string version, string nonce, IReadOnlyDictionary<string, XdsResource> resources)
    {
        SentVersion = version;
        SentNonce = nonce;
        Sent = resources;
    }

    public void MarkAccepted(string version)
    {
        AcceptedVersion = version;
        Accepted = Sent ?? None;
    }

    public void MarkRejected(XdsNack nack) => LastNack = nack;

    public XdsSubscriptionInfo ToInfo() =>
        new(XdsTypes.ShortName(TypeUrl), TypeUrl, Wildcard, [.. Names], SentVersion, SentNonce, AcceptedVersion, LastNack);
}
