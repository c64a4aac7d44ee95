using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// A request the stand-in refuses, carrying the <c>Status</c> body the real API server would send (same reason, code and
/// message wording), so clients see the same <c>HttpOperationException</c> as against a cluster.
/// </summary>
internal sealed class ApiStatusException(V1Status status) : Exception(status.Message)
{
    public V1Status Status { get; } = status;

    public int Code => Status.Code ?? 500;

    public static ApiStatusException NotFound(ApiResource resource, string name) =>
        Failure(404, "NotFound", $"{resource.QualifiedPlural} \"{name}\" not found", Details(resource, name));

    /// <summary>A path the server has no handler for.</summary>
    public static ApiStatusException NoSuchPath() =>
        Failure(404, "NotFound", "the server could not find the requested resource", new V1StatusDetails());

    public static ApiStatusException AlreadyExists(ApiResource resource, string name) =>
        Failure(409, "AlreadyExists", $"{resource.QualifiedPlural} \"{name}\" already exists", Details(resource, name));

    public static ApiStatusException Conflict(ApiResource resource, string name) =>
        Failure(409, "Conflict",
            $"Operation cannot be fulfilled on {resource.QualifiedPlural} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            Details(resource, name));

    /// <summary>The RBAC denial, worded as the API server's authorizer words it.</summary>
    public static ApiStatusException Forbidden(ApiResource resource, string rbacResource, string verb, string? name, string? @namespace, string user)
    {
        var subject = name is null ? resource.QualifiedPlural : $"{resource.QualifiedPlural} \"{name}\"";
        var scope = @namespace is null ? "at the cluster scope" : $"in the namespace \"{@namespace}\"";
        return Failure(403, "Forbidden",
            $"{subject} is forbidden: User \"{user}\" cannot {verb} resource \"{rbacResource}\" in API group \"{resource.Group}\" {scope}",
            Details(resource, name));
    }

    public static ApiStatusException TerminatingNamespace(ApiResource resource, string? name, string @namespace) =>
        Failure(403, "Forbidden",
            $"{resource.QualifiedPlural} \"{name}\" is forbidden: unable to create new content in namespace {@namespace} because it is being terminated",
            Details(resource, name));

    public static ApiStatusException Unauthorized() => Failure(401, "Unauthorized", "Unauthorized", null);

    public static ApiStatusException BadRequest(string message) => Failure(400, "BadRequest", message, null);

    public static ApiStatusException MethodNotAllowed() =>
        Failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", new V1StatusDetails());

    public static ApiStatusException UnsupportedMediaType(string? contentType) =>
        Failure(415, "UnsupportedMediaType",
            $"the body of the request was in an unknown format ({contentType}) - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json",
            null);

    public static ApiStatusException InternalError(string message) =>
        Failure(500, "InternalError", $"Internal error occurred: {message}", null);

    /// <summary>A JSON patch that cannot be applied to the object (a missing path, a failed <c>test</c>).</summary>
    public static ApiStatusException PatchFailed(string message) => Failure(422, "Invalid", message, null);

    /// <summary>A watch asked for changes older than the stand-in still remembers.</summary>
    public static ApiStatusException Expired(string message) => Failure(410, "Expired", message, null);

    /// <summary>A validation failure (422), naming the field like the API server's field errors do.</summary>
    public static ApiStatusException Invalid(ApiResource resource, string? name, string field, string causeReason, string detail)
    {
        var cause = detail.Length == 0 ? CauseLabel(causeReason) : $"{CauseLabel(causeReason)}: {detail}";
        var details = new V1StatusDetails
        {
            Name = name,
            Group = resource.Group.Length == 0 ? null : resource.Group,
            Kind = resource.Kind,
            Causes = [new V1StatusCause { Reason = causeReason, Field = field, Message = cause }],
        };
        return Failure(422, "Invalid", $"{resource.QualifiedKind} \"{name}\" is invalid: {field}: {cause}", details);
    }

    private static string CauseLabel(string causeReason) => causeReason switch
    {
        "FieldValueRequired" => "Required value",
        "FieldValueForbidden" => "Forbidden",
        _ => "Invalid value",
    };

    private static V1StatusDetails Details(ApiResource resource, string? name) => new()
    {
        Name = name,
        Group = resource.Group.Length == 0 ? null : resource.Group,
        Kind = resource.Plural,
    };

    private static ApiStatusException Failure(int code, string reason, string message, V1StatusDetails? details) => new(new V1Status
    {
        ApiVersion = "v1",
        Kind = "Status",
        Metadata = new V1ListMeta(),
        Status = "Failure",
        Message = message,
        Reason = reason,
        Details = details,
        Code = code,
    });
}
