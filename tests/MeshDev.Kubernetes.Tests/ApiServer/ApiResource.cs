using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>One kind the stand-in serves: where it lives in the API and how its objects go to and from JSON.</summary>
internal abstract class ApiResource(string group, string version, string plural, string kind, bool namespaced)
{
    public string Group { get; } = group;

    public string Version { get; } = version;

    /// <summary>The URL and RBAC name (<c>deployments</c>).</summary>
    public string Plural { get; } = plural;

    public string Kind { get; } = kind;

    public bool Namespaced { get; } = namespaced;

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public string ListKind => $"{Kind}List";

    /// <summary>How the API server names the resource in messages: <c>deployments.apps</c>, <c>pods</c>.</summary>
    public string QualifiedPlural => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    /// <summary>How validation messages name the kind: <c>Deployment.apps</c>, <c>Pod</c>.</summary>
    public string QualifiedKind => Group.Length == 0 ? Kind : $"{Kind}.{Group}";

    /// <summary>Field selectors the real API server accepts for this kind besides <c>metadata.name</c> and <c>metadata.namespace</c>.</summary>
    public IReadOnlySet<string> SelectableFields { get; init; } = new HashSet<string>();

    /// <summary>Kinds whose spec changes bump <c>metadata.generation</c> (and whose controllers report <c>observedGeneration</c>).</summary>
    public bool HasGeneration { get; init; }

    public abstract IKubernetesObject<V1ObjectMeta> FromJson(JsonNode json);

    public abstract IKubernetesObject<V1ObjectMeta> FromYaml(string yaml);

    public JsonObject ToJson(IKubernetesObject<V1ObjectMeta> value) => JsonNode.Parse(KubernetesJson.Serialize(value))!.AsObject();

    /// <summary>A deep copy, so that stored objects are never changed in place (watchers hold on to old ones).</summary>
    public IKubernetesObject<V1ObjectMeta> Clone(IKubernetesObject<V1ObjectMeta> value) => FromJson(ToJson(value));
}

/// <summary>An <see cref="ApiResource"/> backed by KubernetesClient's model type, so the wire format is the client's own.</summary>
internal sealed class ApiResource<T>(string group, string version, string plural, string kind, bool namespaced)
    : ApiResource(group, version, plural, kind, namespaced)
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    public override IKubernetesObject<V1ObjectMeta> FromJson(JsonNode json) =>
        KubernetesJson.Deserialize<T>(json) ?? throw ApiStatusException.BadRequest("the request body is empty");

    public override IKubernetesObject<V1ObjectMeta> FromYaml(string yaml) =>
        KubernetesYaml.Deserialize<T>(yaml) ?? throw ApiStatusException.BadRequest("the request body is empty");
}
