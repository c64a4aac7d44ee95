using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// A watch response, as the API server streams it: <c>200</c>, <c>application/json</c>, chunked, one JSON object per
/// line (<c>{"type":"ADDED","object":{…}}</c>), flushed per event, open until the client goes, <c>timeoutSeconds</c> pass
/// or the stand-in stops. With a selector, an object that stops matching is reported <c>DELETED</c> and one that starts
/// matching <c>ADDED</c>, as the API server's watch cache does. A version too old to replay gets an <c>ERROR</c> event
/// with a 410 <c>Status</c>, then the end of the stream.
/// </summary>
internal sealed class WatchStream(ObjectStore store, TimeProvider time)
{
    // Cancelled (and replaced) by EndAll: every watch open at that moment ends.
    private CancellationTokenSource _endAll = new();

    /// <summary>Ends every watch open now; the ones opened afterwards run as usual.</summary>
    public void EndAll()
    {
        // Not disposed: a watch starting this moment may still link to its token.
        Interlocked.Exchange(ref _endAll, new CancellationTokenSource()).Cancel();
    }

    public async Task RunAsync(
        HttpContext context, ApiResource resource, string? @namespace, LabelSelector labels, FieldSelector fields,
        string? fromVersion, int? timeoutSeconds, CancellationToken stopping)
    {
        using var timeout = timeoutSeconds is > 0 ? new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds.Value), time) : new CancellationTokenSource();
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping, timeout.Token, Volatile.Read(ref _endAll).Token);

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        StoreSubscription subscription;
        try
        {
            subscription = store.Watch(resource, @namespace, fromVersion);
        }
        catch (ApiStatusException expired) when (expired.Code == 410)
        {
            await WriteLineAsync(context, new JsonObject { ["type"] = "ERROR", ["object"] = ApiResponses.StatusJson(expired.Status) }, ending.Token);
            return;
        }

        using (subscription)
        {
            await context.Response.StartAsync(ending.Token);
            await context.Response.Body.FlushAsync(ending.Token);
            try
            {
                await foreach (var change in subscription.Changes.ReadAllAsync(ending.Token))
                {
                    if (Visible(change, labels, fields) is { } type)
                    {
                        await WriteLineAsync(context, new JsonObject { ["type"] = type, ["object"] = change.Resource.ToJson(change.Object) }, ending.Token);
                    }
                }
            }
            catch (OperationCanceledException) when (ending.IsCancellationRequested)
            {
                // The client went, the timeout passed, EndAll, or the stand-in stops: end the stream.
            }
        }
    }

    private static string? Visible(StoredChange change, LabelSelector labels, FieldSelector fields)
    {
        var now = Matches(change.Resource, change.Object, labels, fields);
        var before = change.Previous is not null && Matches(change.Resource, change.Previous, labels, fields);
        return change.Type switch
        {
            WatchEventType.Added when now => "ADDED",
            WatchEventType.Modified when now && before => "MODIFIED",
            WatchEventType.Modified when now => "ADDED",
            WatchEventType.Modified when before => "DELETED",
            WatchEventType.Deleted when now => "DELETED",
            _ => null,
        };
    }

    public static bool Matches(ApiResource resource, IKubernetesObject<V1ObjectMeta> value, LabelSelector labels, FieldSelector fields) =>
        labels.Matches(value.Metadata.Labels) && (fields == FieldSelector.Everything || fields.Matches(resource.ToJson(value)));

    private static async Task WriteLineAsync(HttpContext context, JsonObject line, CancellationToken cancellationToken)
    {
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(line.ToJsonString(ApiResponses.GoLikeEscaping) + "\n"), cancellationToken);
        await context.Response.Body.FlushAsync(cancellationToken);
    }
}
