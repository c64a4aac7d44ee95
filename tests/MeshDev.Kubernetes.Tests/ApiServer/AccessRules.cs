using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// Authentication and authorization of the stand-in: one bearer token (one user), everything allowed except what a
/// test forbids, mirroring a namespace-scoped RBAC Role that lacks a rule — or, once a test grants rules, only what
/// they grant, matched as RBAC does (API group, resource, verb, namespace, name). Every decision is recorded, so a test
/// can tell which grants were used.
/// </summary>
internal sealed class AccessRules(string userName)
{
    private readonly List<(string Verb, string Resource, string? Namespace)> _forbidden = [];
    private readonly HashSet<(string Group, string Verb, string Resource, string? Namespace)> _used = [];
    private List<(string Group, string Verb, string Resource, string? Namespace, string? Name)>? _granted;

    public string UserName { get; } = userName;

    public string Token { get; } = $"meshdev-standin-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}";

    public void Authenticate(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal) ||
            !CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim()), System.Text.Encoding.UTF8.GetBytes(Token)))
        {
            throw ApiStatusException.Unauthorized();
        }
    }

    public void Forbid(string verb, string resource, string? @namespace)
    {
        lock (_forbidden)
        {
            _forbidden.Add((verb, resource, @namespace));
        }
    }

    public void Allow(string verb, string resource, string? @namespace)
    {
        lock (_forbidden)
        {
            _forbidden.RemoveAll(r => r == (verb, resource, @namespace));
        }
    }

    /// <summary>
    /// From now on only these rules allow anything (API group, "" for the core one; verb; resource as RBAC names it;
    /// namespace or null for every one; resource name or null for every one; "*" for any group, verb or resource), as a
    /// Role and a ClusterRole bound to the user would.
    /// </summary>
    public void GrantOnly(IEnumerable<(string Group, string Verb, string Resource, string? Namespace, string? Name)> rules)
    {
        lock (_forbidden)
        {
            _granted = [.. rules];
        }
    }

    /// <summary>Every (API group, verb, resource, namespace) asked for and allowed so far.</summary>
    public IReadOnlyCollection<(string Group, string Verb, string Resource, string? Namespace)> Used
    {
        get
        {
            lock (_forbidden)
            {
                return [.. _used];
            }
        }
    }

    /// <summary>Throws the API server's 403 when a test forbade <paramref name="verb"/> on <paramref name="rbacResource"/> here, or granted it nowhere.</summary>
    public void Authorize(string verb, ApiResource resource, string rbacResource, string? name, string? @namespace)
    {
        bool forbidden;
        lock (_forbidden)
        {
            forbidden = _forbidden.Any(r =>
                (r.Verb == "*" || r.Verb == verb) &&
                (r.Resource == "*" || r.Resource == rbacResource) &&
                (r.Namespace is null || r.Namespace == @namespace));
            // A rule names the API group apart from the resource: "deployments" granted in the core group "" allows
            // nothing on apps' deployments.
            forbidden |= _granted is not null && !_granted.Any(g =>
                (g.Group == "*" || g.Group == resource.Group) && (g.Verb == "*" || g.Verb == verb) && (g.Resource == "*" || g.Resource == rbacResource)
                && (g.Namespace is null || g.Namespace == @namespace) && (g.Name is null || g.Name == name));
            if (!forbidden)
            {
                _used.Add((resource.Group, verb, rbacResource, @namespace));
            }
        }

        if (forbidden)
        {
            throw ApiStatusException.Forbidden(resource, rbacResource, verb, name, @namespace, UserName);
        }
    }
}
