using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// The stand-in's HTTP surface: authenticates the bearer token, parses the REST path, authorizes the verb (see
/// <see cref="AccessRules"/>), and serves get, list, watch, create, update, patch, delete and deletecollection, the
/// <c>scale</c>, <c>log</c> and <c>portforward</c> subresources, and <c>/version</c>. Every refusal is a <c>Status</c>.
/// </summary>
internal sealed class RestApi(ObjectStore store, AccessRules access, ObjectDefaults defaults, Kubelet kubelet, TimeProvider time, CancellationToken stopping)
{
    private readonly WatchStream _watch = new(store, time);
    private readonly ObjectDeletion _deletion = new(store);
    private readonly PodLogEndpoint _logs = new(store, kubelet);
    private readonly PortForwardEndpoint _portForward = new(store, kubelet, time);

    public PortForwardEndpoint PortForward => _portForward;

    public WatchStream Watch => _watch;

    public async Task HandleAsync(HttpContext context)
    {
        try
        {
            var path = context.Request.Path.Value ?? "";
            if (path is "/version" or "/version/")
            {
                await ApiResponses.WriteJsonAsync(context, 200, KubernetesJson.Serialize(Version));
                return;
            }

            access.Authenticate(context.Request);
            await DispatchAsync(context, ApiPath.Parse(path) ?? throw ApiStatusException.NoSuchPath());
        }
        catch (ApiStatusException refused) when (!context.Response.HasStarted)
        {
            await ApiResponses.WriteStatusAsync(context, refused.Status);
        }
        catch (Exception e) when (e is JsonException or YamlDotNet.Core.YamlException && !context.Response.HasStarted)
        {
            await ApiResponses.WriteStatusAsync(context, ApiStatusException.BadRequest(e.Message).Status);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested || stopping.IsCancellationRequested)
        {
            // The client went, or the stand-in stops.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            // A bug in the stand-in: say what it was, as the API server's 500s do, so the failing test shows it.
            await ApiResponses.WriteStatusAsync(context, ApiStatusException.InternalError(e.ToString()).Status);
        }
    }

    private static VersionInfo Version { get; } = new()
    {
        Major = "1",
        Minor = "33",
        GitVersion = "v1.33.0-meshdev-standin",
        GitCommit = "0000000000000000000000000000000000000000",
        GitTreeState = "clean",
        BuildDate = "2025-04-23T00:00:00Z",
        GoVersion = "go1.24.2",
        Compiler = "gc",
        Platform = "linux/amd64",
    };

    private async Task DispatchAsync(HttpContext context, ApiPath path)
    {
        var method = context.Request.Method;
        var resource = path.Resource;
        if (path.Subresource is { } subresource)
        {
            await DispatchSubresourceAsync(context, path, subresource);
            return;
        }

        if (path.Name is null)
        {
            var watch = context.Request.Query["watch"].ToString() is "true" or "1";
            var verb = method switch
            {
                "GET" => watch ? "watch" : "list",
                "POST" when path.Namespace is not null || !resource.Namespaced => "create",
                "DELETE" when path.Namespace is not null || !resource.Namespaced => "deletecollection",
                _ => throw ApiStatusException.MethodNotAllowed(),
            };
            access.Authorize(verb, resource, resource.Plural, null, path.Namespace);
            RefuseUnserved(resource);
            await (verb switch
            {
                "watch" => WatchAsync(context, path),
                "list" => ListAsync(context, path),
                "create" => CreateAsync(context, path),
                _ => DeleteCollectionAsync(context, path),
            });
            return;
        }

        var itemVerb = method switch
        {
            "GET" => "get",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            _ => throw ApiStatusException.MethodNotAllowed(),
        };
        access.Authorize(itemVerb, resource, resource.Plural, path.Name, path.Namespace);
        RefuseUnserved(resource);
        await (itemVerb switch
        {
            "get" => GetAsync(context, path),
            "update" => UpdateAsync(context, path),
            "patch" => PatchAsync(context, path),
            _ => DeleteAsync(context, path),
        });
    }

    /// <summary>After authorizing, as the real server does: a kind it does not serve is 404.</summary>
    private static void RefuseUnserved(ApiResource resource)
    {
        if (!ApiResources.Serves(resource))
        {
            throw ApiStatusException.NoSuchPath();
        }
    }

    private async Task DispatchSubresourceAsync(HttpContext context, ApiPath path, string subresource)
    {
        var method = context.Request.Method;
        var rbacResource = $"{path.Resource.Plural}/{subresource}";
        var name = path.Name!;
        var @namespace = path.Namespace!;
        switch (path.Resource.Plural, subresource, method)
        {
            case ("deployments", "scale", "GET"):
                access.Authorize("get", path.Resource, rbacResource, name, @namespace);
                await ApiResponses.WriteObjectAsync(context, 200, ScaleSubresource.Of(Deployment(path)));
                break;
            case ("deployments", "scale", "PUT"):
                access.Authorize("update", path.Resource, rbacResource, name, @namespace);
                var scale = KubernetesJson.Deserialize<V1Scale>(RequestBodies.ObjectJson(path.Resource, await BodyAsync(context), "application/json"));
                var manager = ManagedFields.ManagerOf(context.Request);
                var replaced = store.Atomically(() => ScaleSubresource.Write(store, Deployment(path), scale, manager, ManagedFields.Update));
                await ApiResponses.WriteObjectAsync(context, 200, ScaleSubresource.Of(replaced));
                break;
            case ("deployments", "scale", "PATCH"):
                access.Authorize("patch", path.Resource, rbacResource, name, @namespace);
                var mediaType = RequestBodies.MediaType(context.Request);
                var patch = await BodyAsync(context);
                var patchManager = ManagedFields.ManagerOf(context.Request);
                var patched = store.Atomically(() =>
                {
                    var current = Deployment(path);
                    var scaleJson = JsonNode.Parse(KubernetesJson.Serialize(ScaleSubresource.Of(current)))!;
                    var result = KubernetesJson.Deserialize<V1Scale>(ApplyPatch(scaleJson, patch, mediaType, mergeListsByName: false));
                    return ScaleSubresource.Write(store, current, result, patchManager,
                        mediaType == RequestBodies.ApplyPatch ? ManagedFields.Apply : ManagedFields.Update);
                });
                await ApiResponses.WriteObjectAsync(context, 200, ScaleSubresource.Of(patched));
                break;
            case ("pods", "log", "GET"):
                access.Authorize("get", path.Resource, rbacResource, name, @namespace);
                await _logs.HandleAsync(context, @namespace, name, stopping);
                break;
            case ("pods", "portforward", "GET" or "POST"):
                // The WebSocket upgrade is a GET, authorized as "get"; the API server asks RBAC for "create" on
                // pods/portforward as well.
                access.Authorize(method == "GET" ? "get" : "create", path.Resource, rbacResource, name, @namespace);
                access.Authorize("create", path.Resource, rbacResource, name, @namespace);
                await _portForward.HandleAsync(context, @namespace, name, stopping);
                break;
            case ("deployments", "scale", _) or ("pods", "log" or "portforward", _):
                throw ApiStatusException.MethodNotAllowed();
            default:
                throw ApiStatusException.NoSuchPath();
        }
    }

    private V1Deployment Deployment(ApiPath path) =>
        store.Get<V1Deployment>(ApiResources.Deployments, path.Namespace, path.Name!) ?? throw ApiStatusException.NotFound(ApiResources.Deployments, path.Name!);

    private Task ListAsync(HttpContext context, ApiPath path)
    {
        var (labels, fields) = Selectors(context, path.Resource);
        var (items, version) = store.List(path.Resource, path.Namespace);
        return ApiResponses.WriteListAsync(context, path.Resource, items.Where(i => WatchStream.Matches(path.Resource, i, labels, fields)), version);
    }

    private Task WatchAsync(HttpContext context, ApiPath path)
    {
        var (labels, fields) = Selectors(context, path.Resource);
        var query = context.Request.Query;
        int? timeout = int.TryParse(query["timeoutSeconds"], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? seconds : null;
        return _watch.RunAsync(context, path.Resource, path.Namespace, labels, fields, query["resourceVersion"].ToString(), timeout, stopping);
    }

    private Task GetAsync(HttpContext context, ApiPath path) =>
        ApiResponses.WriteObjectAsync(context, 200,
            store.Get(path.Resource, path.Namespace, path.Name!) ?? throw ApiStatusException.NotFound(path.Resource, path.Name!));

    private async Task CreateAsync(HttpContext context, ApiPath path)
    {
        var resource = path.Resource;
        var json = RequestBodies.ObjectJson(resource, await BodyAsync(context), RequestBodies.MediaType(context.Request));
        RequestBodies.CheckKind(resource, json, required: false);
        var value = resource.FromJson(json);
        RequestBodies.PlaceIn(value, resource, path.Namespace);
        defaults.Apply(value, null);
        ObjectValidation.Validate(resource, value, null);
        ManagedFields.Record(value, null, ManagedFields.ManagerOf(context.Request), ManagedFields.Update, resource.ApiVersion, store.Now);
        await ApiResponses.WriteObjectAsync(context, 201, store.Create(resource, value));
    }

    private async Task UpdateAsync(HttpContext context, ApiPath path)
    {
        var resource = path.Resource;
        var json = RequestBodies.ObjectJson(resource, await BodyAsync(context), RequestBodies.MediaType(context.Request));
        RequestBodies.CheckKind(resource, json, required: false);
        var manager = ManagedFields.ManagerOf(context.Request);
        var replaced = store.Atomically(() =>
        {
            var current = store.Get(resource, path.Namespace, path.Name!) ?? throw ApiStatusException.NotFound(resource, path.Name!);
            return Replace(resource, path, json, current, manager, ManagedFields.Update);
        });
        await ApiResponses.WriteObjectAsync(context, 200, replaced);
    }

    private async Task PatchAsync(HttpContext context, ApiPath path)
    {
        var resource = path.Resource;
        var mediaType = RequestBodies.MediaType(context.Request);
        var body = await BodyAsync(context);
        var manager = ManagedFields.ManagerOf(context.Request);
        var apply = mediaType == RequestBodies.ApplyPatch;
        if (apply && context.Request.Query["fieldManager"].ToString().Length == 0)
        {
            throw ApiStatusException.PatchFailed("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
        }

        var (created, result) = store.Atomically(() =>
        {
            var current = store.Get(resource, path.Namespace, path.Name!);
            if (apply)
            {
                var applied = RequestBodies.ObjectJson(resource, body, mediaType);
                RequestBodies.CheckKind(resource, applied, required: true);
                if (SchemaFields.FirstUndeclared(applied, resource.ToJson(resource.FromJson(applied))) is { } undeclared)
                {
                    throw ApiStatusException.InternalError(
                        $"failed to create typed patch object ({resource.ApiVersion}, Kind={resource.Kind}): {undeclared}: field not declared in schema");
                }

                if (current is null)
                {
                    // Server-side apply creates what does not exist yet, and the API server then also asks RBAC for
                    // "create" on that name (apiserver handlers/patch.go: createAuthorizerAttributes).
                    access.Authorize("create", resource, resource.Plural, path.Name, path.Namespace);
                    var value = resource.FromJson(applied);
                    RequestBodies.CheckName(value, path.Name!);
                    RequestBodies.PlaceIn(value, resource, path.Namespace);
                    defaults.Apply(value, null);
                    ObjectValidation.Validate(resource, value, null);
                    ManagedFields.Record(value, null, manager, ManagedFields.Apply, resource.ApiVersion, store.Now);
                    return (true, store.Create(resource, value));
                }

                var merged = MergePatch.Apply(resource.ToJson(current), applied, mergeListsByName: true)!.AsObject();
                return (false, Replace(resource, path, merged, current, manager, ManagedFields.Apply));
            }

            var existing = current ?? throw ApiStatusException.NotFound(resource, path.Name!);
            var patched = ApplyPatch(resource.ToJson(existing), body, mediaType, mergeListsByName: true).AsObject();
            return (false, Replace(resource, path, patched, existing, manager, ManagedFields.Update));
        });
        await ApiResponses.WriteObjectAsync(context, created ? 201 : 200, result);
    }

    /// <summary>
    /// The common end of update, patch and apply: the new object keeps the stored status (only a status subresource
    /// writes it), gets defaults, is validated and stored. A <c>resourceVersion</c> it carries is a precondition.
    /// </summary>
    private IKubernetesObject<V1ObjectMeta> Replace(
        ApiResource resource, ApiPath path, JsonObject json, IKubernetesObject<V1ObjectMeta> current, string manager, string operation)
    {
        json["status"] = resource.ToJson(current)["status"]?.DeepClone();
        var value = resource.FromJson(json);
        RequestBodies.CheckName(value, path.Name!);
        RequestBodies.PlaceIn(value, resource, path.Namespace);
        defaults.Apply(value, current);
        ObjectValidation.Validate(resource, value, current);
        ManagedFields.Record(value, current, manager, operation, resource.ApiVersion, store.Now);
        return store.Replace(resource, value);
    }

    private static JsonNode ApplyPatch(JsonNode target, string patch, string mediaType, bool mergeListsByName) => mediaType switch
    {
        RequestBodies.MergePatch => MergePatch.Apply(target, RequestBodies.PatchJson(patch), mergeListsByName: false)!,
        RequestBodies.StrategicMergePatch or RequestBodies.ApplyPatch => MergePatch.Apply(target, RequestBodies.PatchJson(patch), mergeListsByName)!,
        RequestBodies.JsonPatch => JsonPatch.Apply(target, RequestBodies.PatchJson(patch)),
        _ => throw ApiStatusException.UnsupportedMediaType(mediaType),
    };

    private async Task DeleteAsync(HttpContext context, ApiPath path)
    {
        var grace = await GracePeriodAsync(context);
        var (deleted, answerWithObject) = _deletion.Delete(path.Resource, path.Namespace, path.Name!, grace);
        await (answerWithObject
            ? ApiResponses.WriteObjectAsync(context, 200, deleted)
            : ApiResponses.WriteDeletedAsync(context, path.Resource, deleted));
    }

    private async Task DeleteCollectionAsync(HttpContext context, ApiPath path)
    {
        var grace = await GracePeriodAsync(context);
        var (labels, fields) = Selectors(context, path.Resource);
        var (deleted, version) = store.Atomically(() =>
        {
            var gone = store.List(path.Resource, path.Namespace).Items
                .Where(i => WatchStream.Matches(path.Resource, i, labels, fields))
                .Select(i => _deletion.Delete(path.Resource, i.Metadata.NamespaceProperty, i.Metadata.Name, grace).Deleted)
                .ToList();
            return (gone, store.Version);
        });
        await ApiResponses.WriteListAsync(context, path.Resource, deleted, version);
    }

    /// <summary><c>gracePeriodSeconds</c> from the query or from the <c>DeleteOptions</c> body.</summary>
    private static async Task<long?> GracePeriodAsync(HttpContext context)
    {
        if (long.TryParse(context.Request.Query["gracePeriodSeconds"], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var fromQuery))
        {
            return fromQuery;
        }

        var body = await BodyAsync(context);
        return string.IsNullOrWhiteSpace(body) ? null : KubernetesJson.Deserialize<V1DeleteOptions>(body)?.GracePeriodSeconds;
    }

    private static (LabelSelector Labels, FieldSelector Fields) Selectors(HttpContext context, ApiResource resource) =>
        (LabelSelector.Parse(context.Request.Query["labelSelector"]), FieldSelector.Parse(context.Request.Query["fieldSelector"], resource));

    private static Task<string> BodyAsync(HttpContext context) => RequestBodies.ReadTextAsync(context.Request, context.RequestAborted);
}
