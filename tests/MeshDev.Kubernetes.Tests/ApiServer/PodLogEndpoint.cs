using System.Globalization;
using System.Text;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// <c>GET …/pods/{name}/log</c>: a container's output as <c>text/plain</c>, with <c>container</c> (required when the pod
/// has several), <c>tailLines</c>, <c>previous</c>, and <c>follow</c> (the stream stays open until the pod is gone).
/// A real process's log (<see cref="ImageBehaviour.Executes"/>) is followed line by line until that run ends.
/// <c>sinceSeconds</c>, <c>limitBytes</c> and <c>timestamps</c> are not read.
/// </summary>
internal sealed class PodLogEndpoint(ObjectStore store, Kubelet kubelet)
{
    public async Task HandleAsync(HttpContext context, string @namespace, string name, CancellationToken stopping)
    {
        var pod = store.Get<V1Pod>(ApiResources.Pods, @namespace, name) ?? throw ApiStatusException.NotFound(ApiResources.Pods, name);
        var query = context.Request.Query;
        var names = (pod.Spec?.Containers ?? []).Select(c => c.Name).ToList();
        var container = query["container"].ToString();
        if (container.Length == 0)
        {
            container = names.Count == 1
                ? names[0]
                : throw ApiStatusException.BadRequest($"a container name must be specified for pod {name}, choose one of: [{string.Join(" ", names)}]");
        }
        else if (!names.Contains(container))
        {
            throw ApiStatusException.BadRequest($"container {container} is not valid for pod {name}");
        }

        if (string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            throw ApiStatusException.BadRequest($"pod {name} does not have a host assigned");
        }

        var follow = query["follow"] == "true";
        var (all, later) = kubelet.Log(pod, container, query["previous"] == "true", follow);
        IEnumerable<string> lines = all;
        if (int.TryParse(query["tailLines"], NumberStyles.None, CultureInfo.InvariantCulture, out var tail))
        {
            lines = lines.TakeLast(tail);
        }

        // Subscribe before answering, so that a deletion right after cannot be missed.
        using var changes = follow && later is null ? store.Watch(ApiResources.Pods, @namespace, store.Version.ToString(CultureInfo.InvariantCulture)) : null;
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain";
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n"))), context.RequestAborted);
        if (later is not null)
        {
            await FollowAsync(context, later, stopping);
            return;
        }

        if (changes is null)
        {
            return;
        }

        await context.Response.Body.FlushAsync(context.RequestAborted);
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        try
        {
            await foreach (var change in changes.Changes.ReadAllAsync(ending.Token))
            {
                if (change.Type == WatchEventType.Deleted && change.Object.Metadata.Uid == pod.Metadata.Uid)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (ending.IsCancellationRequested)
        {
        }
    }

    private static async Task FollowAsync(HttpContext context, ChannelReader<string> later, CancellationToken stopping)
    {
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        try
        {
            await context.Response.Body.FlushAsync(ending.Token);
            while (await later.WaitToReadAsync(ending.Token))
            {
                var text = new StringBuilder();
                while (later.TryRead(out var line))
                {
                    text.Append(line).Append('\n');
                }

                await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text.ToString()), ending.Token);
                await context.Response.Body.FlushAsync(ending.Token);
            }
        }
        catch (OperationCanceledException) when (ending.IsCancellationRequested)
        {
        }
    }
}
