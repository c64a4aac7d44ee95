using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// Authentication and authorization of the stand-in: one bearer token (one user), everything allowed except what a
/// test forbids, mirroring a namespace-scoped RBAC Role that lacks a rule.
/// </summary>
internal sealed class AccessRules(string userName)
{
    private readonly List<(string Verb, string Resource, string? Namespace)> _forbidden = [];

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

    /// <summary>Throws the API server's 403 when a test forbade <paramref name="verb"/> on <paramref name="rbacResource"/> here.</summary>
    public void Authorize(string verb, ApiResource resource, string rbacResource, string? name, string? @namespace)
    {
        bool forbidden;
        lock (_forbidden)
        {
            forbidden = _forbidden.Any(r =>
                (r.Verb == "*" || r.Verb == verb) &&
                (r.Resource == "*" || r.Resource == rbacResource) &&
                (r.Namespace is null || r.Namespace == @namespace));
        }

        if (forbidden)
        {
            throw ApiStatusException.Forbidden(resource, rbacResource, verb, name, @namespace, UserName);
        }
    }
}
