using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace MeshDev.Bench;

/// <summary>
/// In-process allocation sampling (the runtime's GCAllocationTick event, about one sample per 100 KB allocated), for
/// <c>--profile-alloc</c>: which types the mesh allocates on the warm path. No dotnet-trace needed.
/// </summary>
internal sealed class AllocationProfile : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, (long Samples, long Bytes)> _byType = new();
    private volatile bool _recording;

    public void Start() => _recording = true;

    public void Stop() => _recording = false;

    /// <summary>The types with the most sampled bytes: name, share of the sampled bytes.</summary>
    public IReadOnlyList<(string Type, double Share, long Samples)> Top(int count)
    {
        var total = Math.Max(1, _byType.Values.Sum(v => v.Bytes));
        return [.. _byType.OrderByDescending(kv => kv.Value.Bytes).Take(count).Select(kv => (kv.Key, kv.Value.Bytes * 100.0 / total, kv.Value.Samples))];
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_recording || eventData.EventName is null || !eventData.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.PayloadNames is null)
        {
            return;
        }

        var typeName = "?";
        long bytes = 0;
        for (var i = 0; i < eventData.PayloadNames.Count; i++)
        {
            switch (eventData.PayloadNames[i])
            {
                case "TypeName":
                    typeName = eventData.Payload![i] as string ?? "?";
                    break;
                case "AllocationAmount64":
                    bytes = Convert.ToInt64(eventData.Payload![i], System.Globalization.CultureInfo.InvariantCulture);
                    break;
            }
        }

        _byType.AddOrUpdate(typeName, (1, bytes), (_, v) => (v.Samples + 1, v.Bytes + bytes));
    }
}
