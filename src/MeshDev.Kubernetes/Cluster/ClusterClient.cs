using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace MeshDev.Kubernetes.Cluster;

/// <summary>
/// The API client of one kubeconfig context, plus what the typed client lacks: server-side apply, get, list and
/// delete of any kind of object as JSON (the team's own manifests may hold kinds MeshDev knows nothing about), and
/// where it connects to, for messages.
/// </summary>
internal sealed class ClusterClient : k8s.Kubernetes
{
    /// <summary>A request that is not a watch or a stream and takes longer than this counts as "no answer".</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<(string ApiVersion, string Kind), Task<ResourceType>> _discovered = new();

    public ClusterClient(KubernetesClientConfiguration configuration, string description)
        : base(configuration)
    {
        Server = configuration.Host;
        Description = description;
    }

    /// <summary>The API server's URL.</summary>
    public string Server { get; }

    /// <summary>Which context of which kubeconfig, e.g. <c>context 'kind-dev' of /home/alice/.kube/config</c>.</summary>
    public string Description { get; }

    /// <summary>The object, or null when there is none by that name.</summary>
    public async Task<JsonObject?> GetAsync(ResourceType type, string? @namespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await SendJsonAsync<object>(type.ObjectPath(@namespace, name), HttpMethod.Get, body: null, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Server-side apply (field manager <c>meshdev</c>, forced: MeshDev's own fields are MeshDev's to set).</summary>
    public async Task<JsonObject> ApplyAsync(ResourceType type, string? @namespace, JsonObject body, CancellationToken cancellationToken)
    {
        var name = body["metadata"]?["name"]?.GetValue<string>() ?? throw new ArgumentException("the object has no metadata.name", nameof(body));
        var path = $"{type.ObjectPath(@namespace, name)}?fieldManager={Objects.MeshLabels.FieldManager}&force=true";
        return (await SendJsonAsync(path, HttpMethod.Patch, new V1Patch(body.ToJsonString(), V1Patch.PatchType.ApplyPatch), cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>The objects of <paramref name="type"/> in <paramref name="namespace"/> that <paramref name="labelSelector"/> selects.</summary>
    public async Task<IReadOnlyList<JsonObject>> ListAsync(ResourceType type, string? @namespace, string? labelSelector, CancellationToken cancellationToken)
    {
        var path = type.CollectionPath(@namespace) + (labelSelector is null ? "" : $"?labelSelector={Uri.EscapeDataString(labelSelector)}");
        var list = await SendJsonAsync<object>(path, HttpMethod.Get, body: null, cancellationToken).ConfigureAwait(false);
        return list?["items"] is JsonArray items ? [.. items.OfType<JsonObject>()] : [];
    }

    /// <summary>Deletes the object (its pods and replica sets go with it, in the background); false when it was not there.</summary>
    public async Task<bool> DeleteAsync(ResourceType type, string? @namespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            await SendJsonAsync<object>($"{type.ObjectPath(@namespace, name)}?propagationPolicy=Background", HttpMethod.Delete, body: null, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>
    /// Why a WebSocket upgrade (port-forward) was refused: the WebSocket client only reports the status code, so the
    /// same request is sent as plain HTTP to get the server's Status with its reason. Null when that one succeeds.
    /// </summary>
    public async Task<Exception?> ExplainUpgradeFailureAsync(string relativeUri, CancellationToken cancellationToken)
    {
        try
        {
            await SendJsonAsync<object>(relativeUri, HttpMethod.Get, body: null, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return e;
        }
    }

    /// <summary>
    /// The REST type of a kind: well known ones at once, others from the API server's discovery document (once per
    /// kind), so a team's manifest may hold any namespaced kind the cluster serves.
    /// </summary>
    public Task<ResourceType> ResolveAsync(string apiVersion, string kind, CancellationToken cancellationToken) =>
        ResourceType.Find(apiVersion, kind) is { } known
            ? Task.FromResult(known)
            : _discovered.GetOrAdd((apiVersion, kind), key => DiscoverAsync(key.ApiVersion, key.Kind, cancellationToken));

    private async Task<ResourceType> DiscoverAsync(string apiVersion, string kind, CancellationToken cancellationToken)
    {
        JsonObject? document;
        try
        {
            document = await SendJsonAsync<object>(ResourceType.DiscoveryPath(apiVersion), HttpMethod.Get, body: null, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            _discovered.TryRemove((apiVersion, kind), out _);
            throw new Runtime.LaunchException($"the cluster does not serve apiVersion '{apiVersion}' (for kind {kind}); is its CRD installed, or is the apiVersion misspelled?");
        }

        var resource = (document?["resources"] as JsonArray)?.OfType<JsonObject>()
            .FirstOrDefault(r => r["kind"]?.GetValue<string>() == kind && r["name"]?.GetValue<string>() is { } n && !n.Contains('/'));
        if (resource is null)
        {
            _discovered.TryRemove((apiVersion, kind), out _);
            throw new Runtime.LaunchException($"the cluster serves apiVersion '{apiVersion}' but no kind '{kind}' in it");
        }

        return new ResourceType(apiVersion, kind, resource["name"]!.GetValue<string>(), resource["namespaced"]?.GetValue<bool>() ?? true);
    }

    private async Task<JsonObject?> SendJsonAsync<T>(string relativeUri, HttpMethod method, T? body, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        using var response = await SendRequest(relativeUri, method, customHeaders: null, body, timeout.Token).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
        return string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text) as JsonObject;
    }
}
