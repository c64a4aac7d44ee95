using System.Text.Json;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.Cli;

/// <summary>
/// Why each service runs, through a real detached daemon, real TestServices and the real CLI: <c>status --json</c>,
/// <c>status --running</c>, <c>events --json</c> and <c>graph</c> after a call from one launched service to another, a
/// <c>dependsOn</c> and a <c>meshdev start</c>.
/// </summary>
public sealed class LaunchReasonCliTests
{
    [Fact]
    public async Task Status_events_and_graph_say_what_launched_each_service_and_leave_out_what_never_ran()
    {
        await using var cli = new MeshdevCli();
        var manifest = new ManifestBuilder(cli.Tag)
            .Service("web")
            .Service("api", extra: ["dependsOn: [db]"])
            .Service("db")
            .Service("tool")
            .Service("idle");
        manifest.WriteTo(cli.Directory);
        await cli.RunOkAsync("up", "--detach");
        using var http = TestMesh.NewHttpClient();

        // The test calls web (an external caller); web calls api through the mesh; api's launch launches db first.
        var answer = await http.GetStringAsync($"http://127.0.0.1:{manifest.MeshPorts["web"]}/callservice/api?path=/whoami");
        Assert.Equal("api", JsonDocument.Parse(answer).RootElement.GetProperty("name").GetString());
        await cli.RunOkAsync("start", "tool");

        // web's connection to api's mesh port is attributed in the background: its launch did not wait for that.
        var status = await UntilAsync(cli, s => Reason(s, "api")?.GetProperty("service").GetString() == "web", "api's reason to name its caller");
        Assert.Equal(("call", "call from external"), KindAndText(status, "web"));
        Assert.Equal(("call", "call from web"), KindAndText(status, "api"));
        Assert.Equal(("dependsOn", "dependsOn of api"), KindAndText(status, "db"));
        Assert.Equal("api", Reason(status, "db")!.Value.GetProperty("service").GetString());
        Assert.Equal(("start", "meshdev start"), KindAndText(status, "tool"));
        Assert.Null(Reason(status, "idle"));

        var table = (await cli.RunOkAsync("status")).Stdout;
        Assert.Contains(table.Split('\n'), l => l.StartsWith("api ", StringComparison.Ordinal) && l.Contains("  call from web  ", StringComparison.Ordinal));

        var running = JsonDocument.Parse((await cli.RunOkAsync("status", "--running", "--json")).Stdout).RootElement;
        Assert.Equal(["web", "api", "db", "tool"], Names(running.GetProperty("services")));
        var runningTable = (await cli.RunOkAsync("status", "--running")).Stdout;
        Assert.DoesNotContain(runningTable.Split('\n'), l => l.StartsWith("idle ", StringComparison.Ordinal));

        // The events replay the launches with their reasons (the caller is read when an event is sent).
        await using (var events = cli.Start("events", "--json"))
        {
            var lines = await events.ReadUntilAsync(l => Event(l) is ("tool", "ready", _), "tool ready");
            Assert.Contains(lines, l => Event(l) == ("api", "starting", "call from web"));
            Assert.Contains(lines, l => Event(l) == ("api", "ready", "call from web"));
            Assert.Contains(lines, l => Event(l) == ("db", "ready", "dependsOn of api"));
            Assert.Contains(lines, l => Event(l) == ("tool", "ready", "meshdev start"));
        }

        // The graph: who took part (and what runs), not every service of the manifest; --all keeps the full list.
        var graph = JsonDocument.Parse((await cli.RunOkAsync("graph", "--json")).Stdout).RootElement;
        Assert.Equal(["external", "web", "api", "db", "tool"], Names(graph.GetProperty("nodes")));
        var mermaid = (await cli.RunOkAsync("graph")).Stdout;
        Assert.DoesNotContain("idle", mermaid, StringComparison.Ordinal);
        var all = JsonDocument.Parse((await cli.RunOkAsync("graph", "--json", "--all")).Stdout).RootElement;
        Assert.Equal(["external", "web", "api", "db", "tool", "idle"], Names(all.GetProperty("nodes")));
    }

    private static JsonElement? Reason(JsonElement status, string service) =>
        MeshdevCli.ServiceIn(status, service).GetProperty("reason") is { ValueKind: JsonValueKind.Object } reason ? reason : null;

    private static (string?, string?) KindAndText(JsonElement status, string service) =>
        Reason(status, service) is { } reason ? (reason.GetProperty("kind").GetString(), reason.GetProperty("text").GetString()) : (null, null);

    private static IEnumerable<string?> Names(JsonElement array) =>
        array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetProperty("name").GetString());

    /// <summary>An <c>events --json</c> line as (service, to, reason text).</summary>
    private static (string?, string?, string?) Event(string line)
    {
        var e = JsonDocument.Parse(line).RootElement;
        var reason = e.GetProperty("reason");
        return (e.GetProperty("service").GetString(), e.GetProperty("to").GetString(),
            reason.ValueKind == JsonValueKind.Object ? reason.GetProperty("text").GetString() : null);
    }

    /// <summary>Polls <c>meshdev status --json</c> (another process's state: no event to await) until it matches.</summary>
    private static async Task<JsonElement> UntilAsync(MeshdevCli cli, Func<JsonElement, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Eventually.Deadline;
        while (true)
        {
            var status = await cli.StatusAsync();
            if (condition(status))
            {
                return status;
            }

            Assert.True(DateTime.UtcNow < deadline, $"still waiting for {what}: {status}");
            await Task.Delay(50);
        }
    }
}
