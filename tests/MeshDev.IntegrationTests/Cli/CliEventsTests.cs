using System.Text.Json;
using System.Text.RegularExpressions;
using MeshDev.Activation;
using MeshDev.Cli.Commands;
using MeshDev.Daemon.Hosting;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.Cli;

/// <summary><c>meshdev events [--json]</c>: the recent events, then new ones as they happen, until the mesh stops.</summary>
public sealed class CliEventsTests
{
    [Fact]
    public async Task Events_shows_the_history_then_follows_and_ends_when_the_mesh_stops()
    {
        await using var cli = new MeshdevCli();
        var manifest = new ManifestBuilder(cli.Tag).Service("front");
        manifest.WriteTo(cli.Directory);
        await cli.RunOkAsync("up", "--detach");
        using var http = TestMesh.NewHttpClient();
        await http.GetStringAsync($"http://127.0.0.1:{manifest.MeshPorts["front"]}/whoami");

        await using var text = cli.Start("events");
        await using var json = cli.Start("events", "--json");

        // The launch happened before either started: it comes from the history.
        var lines = await text.ReadUntilAsync(l => l.Contains("  front  starting → ready", StringComparison.Ordinal), "front's launch");
        Assert.Matches(new Regex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z  front  stopped → starting( .*)?$"), lines[0]);

        var events = (await json.ReadUntilAsync(l => To(l) == "ready", "front ready")).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(["starting", "ready"], events.Select(e => e.GetProperty("to").GetString()));
        Assert.Equal(["stopped", "starting"], events.Select(e => e.GetProperty("from").GetString()));
        Assert.All(events, e => Assert.Equal("front", e.GetProperty("service").GetString()));
        Assert.Equal(events[0].GetProperty("sequence").GetInt64() + 1, events[1].GetProperty("sequence").GetInt64());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", events[0].GetProperty("time").GetString());

        // Live: an explicit stop.
        await cli.RunOkAsync("stop", "front");
        await json.ReadUntilAsync(l => To(l) == "stopped", "front stopped");
        await text.ReadUntilAsync(l => l.Contains("  front  stopping → stopped", StringComparison.Ordinal), "front stopped");

        // The mesh stops: both followers end by themselves, and do not hold the daemon up.
        var down = await cli.RunOkAsync("down");
        Assert.DoesNotContain("did not stop", down.Stderr);
        Assert.Equal(0, await text.ExitCodeAsync());
        Assert.Equal(0, await json.ExitCodeAsync());
    }

    private static string? To(string line) => JsonDocument.Parse(line).RootElement.GetProperty("to").GetString();

    [Fact]
    public void Event_lines_keep_their_columns_whatever_the_service_and_transition()
    {
        var at = new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);
        var lines = new[]
        {
            new MeshEvent(1, at, new ServiceStateChange("db", ServiceState.Ready, ServiceState.Stopping, "idle for 10 min")),
            new MeshEvent(2, at, new ServiceStateChange("inventory", ServiceState.Stopped, ServiceState.Starting, "launching")),
        }.Select(e => EventsCommand.Render(e, serviceWidth: "inventory".Length)).ToArray();

        Assert.Equal(lines[0].IndexOf("ready", StringComparison.Ordinal), lines[1].IndexOf("stopped", StringComparison.Ordinal));
        Assert.Equal(lines[0].IndexOf("idle", StringComparison.Ordinal), lines[1].IndexOf("launching", StringComparison.Ordinal));
    }
}
