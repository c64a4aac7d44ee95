using System.Text.Json;
using MeshDev.Calls;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.DashboardTests;

/// <summary><c>/dashboard/events</c> as any server-sent events client reads it: a snapshot at once, then one after changes.</summary>
public sealed class DashboardEventsTests
{
    [Fact]
    public async Task The_event_stream_follows_a_lazy_launch_and_the_new_edges_and_ends_when_the_mesh_stops()
    {
        var mesh = await WebCallsApi.StartAsync();
        await using var _ = mesh;
        using var http = TestMesh.NewHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, mesh.Host.Info.ControlUrl + "/dashboard/events");
        request.Headers.Authorization = new("Bearer", mesh.Host.Info.Token);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var events = new StreamReader(await response.Content.ReadAsStreamAsync());

        var first = await NextSnapshotAsync(events);
        Assert.All(first.GetProperty("services").EnumerateArray(), s => Assert.Equal("stopped", s.GetProperty("state").GetString()));
        await WebCallsApi.CallAsync(mesh);

        var seenStates = new HashSet<string>();
        JsonElement snapshot;
        do
        {
            snapshot = await NextSnapshotAsync(events);
            seenStates.UnionWith(snapshot.GetProperty("services").EnumerateArray().Select(s => $"{s.GetProperty("name").GetString()}:{s.GetProperty("state").GetString()}"));
        }
        while (!(seenStates.Contains("api:ready") && Edges(snapshot).SequenceEqual([$"{CallGraph.External}->web:1", "web->api:1"])));

        Assert.Contains("web:ready", seenStates);
        await mesh.DisposeAsync();
        await UntilTheStreamEndsAsync(events);
    }

    private static IEnumerable<string> Edges(JsonElement snapshot) => snapshot.GetProperty("graph").GetProperty("edges").EnumerateArray()
        .Select(e => $"{e.GetProperty("from").GetString()}->{e.GetProperty("to").GetString()}:{e.GetProperty("count").GetInt64()}");

    private static async Task<JsonElement> NextSnapshotAsync(StreamReader events)
    {
        while (await events.ReadLineAsync().WaitAsync(Eventually.Deadline) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                return JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone();
            }
        }

        throw new InvalidOperationException("the event stream ended");
    }

    /// <summary>Reads (and skips) what is still to come until the stream ends; a stream that does not end times out.</summary>
    private static async Task UntilTheStreamEndsAsync(StreamReader events)
    {
        try
        {
            while (await events.ReadLineAsync().WaitAsync(Eventually.Deadline) is not null)
            {
            }
        }
        catch (IOException)
        {
            // Cut rather than ended: it has ended all the same.
        }
    }
}
