using System.Text.Json;
using System.Text.Json.Serialization;

namespace MeshDev.Calls;

/// <summary>
/// The call graph's edges kept between runs (<c>.meshdev/calls.json</c>): what each service was seen to call, so that a
/// later run can launch a service's callees beside it before any call reaches them (<c>mesh.prewarm</c>). Written whole
/// to a temporary file and renamed over the old one, so a reader never sees half a file; a file that cannot be read is
/// treated as empty (it only speeds up launches).
/// </summary>
public static class CallGraphStore
{
    private const int Version = 1;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Loads the edges of <paramref name="path"/> into <paramref name="graph"/>; returns how many were restored.</summary>
    public static int Load(string path, CallGraph graph)
    {
        StoredGraph? stored;
        try
        {
            stored = JsonSerializer.Deserialize<StoredGraph>(File.ReadAllText(path), Json);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return 0;
        }

        if (stored is not { Version: Version, Edges: { } edges })
        {
            return 0;
        }

        var restored = 0;
        foreach (var edge in edges.Where(e => e.From is not null && e.To is not null))
        {
            graph.Restore(edge.From!, edge.To!, edge.Count, edge.LastSeen);
            restored++;
        }

        return restored;
    }

    /// <summary>Writes the graph's edges between services (calls from outside the mesh say nothing about launches).</summary>
    public static void Save(string path, CallGraphSnapshot snapshot)
    {
        var stored = new StoredGraph(Version, [.. snapshot.Edges
            .Where(e => e.From != CallGraph.External)
            .Select(e => new StoredEdge(e.From, e.To, e.Count, e.LastSeen))]);
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(stored, Json));
        File.Move(temporary, path, overwrite: true);
    }

    private sealed record StoredGraph(int Version, IReadOnlyList<StoredEdge>? Edges);

    private sealed record StoredEdge(
        [property: JsonPropertyName("from")] string? From,
        [property: JsonPropertyName("to")] string? To,
        long Count,
        DateTimeOffset LastSeen);
}
