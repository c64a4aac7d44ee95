namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// A parsed REST path: <c>/api/v1/namespaces/{ns}/pods/{name}/log</c>, <c>/apis/apps/v1/namespaces/{ns}/deployments</c>,
/// <c>/api/v1/namespaces/{name}</c>, or a namespaced kind across all namespaces (<c>/api/v1/pods</c>).
/// </summary>
internal sealed record ApiPath(ApiResource Resource, string? Namespace, string? Name, string? Subresource)
{
    public static ApiPath? Parse(string path)
    {
        var segments = path.Trim('/').Split('/');
        string group, version;
        string[] rest;
        if (segments.Length >= 3 && segments[0] == "api")
        {
            (group, version, rest) = ("", segments[1], segments[2..]);
        }
        else if (segments.Length >= 4 && segments[0] == "apis")
        {
            (group, version, rest) = (segments[1], segments[2], segments[3..]);
        }
        else
        {
            return null;
        }

        if (rest.Any(s => s.Length == 0))
        {
            return null;
        }

        if (rest[0] == "namespaces")
        {
            // namespaces/{name}/status and /finalize are the namespace's own subresources; anything else there is a kind.
            var ownSubresource = rest.Length == 3 && group.Length == 0 && rest[2] is "status" or "finalize";
            if (rest.Length is >= 3 and <= 5 && !ownSubresource
                && (ApiResources.Find(group, version, rest[2]) ?? ApiResources.Unserved(group, version, rest[2])) is { Namespaced: true } namespaced)
            {
                return new ApiPath(namespaced, rest[1], rest.ElementAtOrDefault(3), rest.ElementAtOrDefault(4));
            }

            return rest.Length <= 3 && ApiResources.Find(group, version, "namespaces") is { } namespaces
                ? new ApiPath(namespaces, null, rest.ElementAtOrDefault(1), rest.ElementAtOrDefault(2))
                : null;
        }

        return rest.Length == 1 && ApiResources.Find(group, version, rest[0]) is { Namespaced: true } everywhere
            ? new ApiPath(everywhere, null, null, null)
            : null;
    }
}
