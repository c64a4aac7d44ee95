using k8s;
using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// Writes core/v1 Events as the cluster's components do: one Event per object, reason and message, whose
/// <c>count</c> and <c>lastTimestamp</c> grow when it happens again (so a crash loop's <c>BackOff</c> is one Event).
/// </summary>
internal sealed class EventRecorder(ObjectStore store)
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";

    private long _lastStamp;

    public void Record(
        IKubernetesObject<V1ObjectMeta> involved, string type, string reason, string message, string component,
        string? host = null, string? fieldPath = null)
    {
        var @namespace = involved.Metadata.NamespaceProperty ?? "default";
        try
        {
            store.Atomically<object?>(() =>
            {
                var existing = store.List<Corev1Event>(ApiResources.Events, @namespace).FirstOrDefault(e =>
                    e.InvolvedObject?.Uid == involved.Metadata.Uid && e.Reason == reason && e.Message == message &&
                    e.Type == type && e.Source?.Component == component && e.InvolvedObject?.FieldPath == fieldPath);
                if (existing is not null)
                {
                    return store.Update<Corev1Event>(ApiResources.Events, @namespace, existing.Metadata.Name, e =>
                    {
                        e.Count = (e.Count ?? 1) + 1;
                        e.LastTimestamp = store.Now;
                        return true;
                    });
                }

                var now = store.Now;
                return store.Create(ApiResources.Events, new Corev1Event
                {
                    Metadata = new V1ObjectMeta
                    {
                        Name = $"{involved.Metadata.Name}.{NextStamp(now):x16}",
                        NamespaceProperty = @namespace,
                    },
                    InvolvedObject = new V1ObjectReference
                    {
                        ApiVersion = involved.ApiVersion,
                        Kind = involved.Kind,
                        NamespaceProperty = involved.Metadata.NamespaceProperty,
                        Name = involved.Metadata.Name,
                        Uid = involved.Metadata.Uid,
                        ResourceVersion = involved.Metadata.ResourceVersion,
                        FieldPath = fieldPath,
                    },
                    Reason = reason,
                    Message = message,
                    Source = new V1EventSource { Component = component, Host = host },
                    FirstTimestamp = now,
                    LastTimestamp = now,
                    Count = 1,
                    Type = type,
                    ReportingComponent = component,
                    ReportingInstance = host ?? "",
                });
            });
        }
        catch (ApiStatusException)
        {
            // The namespace is being deleted with the object: nobody is left to read the event.
        }
    }

    /// <summary>
    /// Components name events <c>{object}.{hex Unix nanoseconds}</c>, so a list (in name order) is in time order; kept
    /// strictly increasing here, since a fake clock may not move between events.
    /// </summary>
    private long NextStamp(DateTime now)
    {
        var nanos = (now - DateTime.UnixEpoch).Ticks * 100;
        long last, next;
        do
        {
            last = Interlocked.Read(ref _lastStamp);
            next = Math.Max(last + 1, nanos);
        }
        while (Interlocked.CompareExchange(ref _lastStamp, next, last) != last);

        return next;
    }
}
