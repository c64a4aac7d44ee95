namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// One request the stand-in answered: <c>PATCH /apis/apps/v1/namespaces/ns/deployments/orders/scale?fieldManager=meshdev</c>
/// → 200, with the body it carried (for writes), e.g. to assert that a cold start scaled up exactly once.
/// </summary>
public sealed record ApiRequest(string Method, string PathAndQuery, int Status, string? ContentType, string? Body)
{
    /// <summary>The path without the query.</summary>
    public string Path => PathAndQuery.Split('?')[0];

    public override string ToString() => $"{Method} {PathAndQuery} → {Status}";
}
