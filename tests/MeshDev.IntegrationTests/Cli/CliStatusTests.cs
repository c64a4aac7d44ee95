using System.Text.Json;
using System.Text.RegularExpressions;
using System.Net.Http.Json;
using MeshDev.Activation;
using MeshDev.Cli.Commands;
using MeshDev.Daemon.Control;
using MeshDev.IntegrationTests.Infrastructure;
using MeshDev.Runtime;

namespace MeshDev.IntegrationTests.Cli;

/// <summary><c>meshdev status</c>, <c>--json</c> and <c>--watch</c> through the control API of a real detached daemon.</summary>
public sealed class CliStatusTests
{
    private const int SigCont = 18;

    [Fact]
    public async Task Status_prints_the_table_with_its_stable_columns_and_the_same_as_json()
    {
        await using var cli = new MeshdevCli();
        var manifest = new ManifestBuilder(cli.Tag).Service("front").Service("worker");
        var path = manifest.WriteTo(cli.Directory);
        await cli.RunOkAsync("up", "--detach");

        var table = (await cli.RunOkAsync("status")).Stdout;

        var front = manifest.MeshPorts["front"];
        var worker = manifest.MeshPorts["worker"];
        Assert.Equal(
            $"""
            mesh {path} (pid {cli.DaemonPid()}, shared port 127.0.0.1:{manifest.SharedPort}, xDS 127.0.0.1:{manifest.XdsPort} with 0 clients)
            NAME    RUNTIME  STATE    ENDPOINT  MESH PORT  LAUNCHES  IN FLIGHT  OLDEST  REASON  LAST ERROR
            front   process  stopped  -         {front,-9}  0         0          -       -       -
            worker  process  stopped  -         {worker,-9}  0         0          -       -       -

            """.ReplaceLineEndings(),
            table);

        var json = await cli.StatusAsync();
        Assert.Equal(path, json.GetProperty("manifest").GetString());
        Assert.Equal(cli.DaemonPid(), json.GetProperty("pid").GetInt32());
        Assert.Equal(manifest.SharedPort, json.GetProperty("httpPort").GetInt32());
        Assert.Equal(manifest.XdsPort, json.GetProperty("xdsPort").GetInt32());
        var service = MeshdevCli.ServiceIn(json, "front");
        Assert.Equal("process", service.GetProperty("runtime").GetString());
        Assert.Equal("stopped", service.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, service.GetProperty("endpoint").ValueKind);
        Assert.Equal(front, service.GetProperty("meshPort").GetInt32());
        Assert.Equal(0, service.GetProperty("launches").GetInt32());
        Assert.Equal(0, service.GetProperty("inFlight").GetInt32());
        Assert.Equal(JsonValueKind.Null, service.GetProperty("oldestInFlightMs").ValueKind);
        Assert.Equal(["front", "front.localhost"], service.GetProperty("hosts").EnumerateArray().Select(h => h.GetString()));
    }

    [Fact]
    public async Task Status_watch_prints_the_table_again_on_every_event_and_as_json_lines()
    {
        await using var cli = new MeshdevCli();
        var manifest = new ManifestBuilder(cli.Tag).Service("front");
        manifest.WriteTo(cli.Directory);
        await cli.RunOkAsync("up", "--detach");
        using var http = TestMesh.NewHttpClient();

        await using (var watch = cli.Start("status", "--watch"))
        {
            await watch.ReadUntilAsync(l => Regex.IsMatch(l, @"^front\s+process\s+stopped\s+-\s"), "the first table, front stopped");

            // A launch through the mesh: the watcher hears of it and prints the table again.
            await http.GetStringAsync($"http://127.0.0.1:{manifest.MeshPorts["front"]}/whoami");

            // Launches 1; the request may still be in flight when the table is printed (IN FLIGHT, OLDEST). The test's
            // own request launched it: a call from outside the mesh (unknown for a moment, while its connection is looked up).
            var lines = await watch.ReadUntilAsync(l => Regex.IsMatch(l, @"^front\s+process\s+ready\s+127\.0\.0\.1:\d+\s+\d+\s+1\s+\d+\s+\S+\s+call from (external|an unknown caller)\s+-$"), "front ready after one launch");
            Assert.Contains(lines, l => l.StartsWith("NAME ", StringComparison.Ordinal));
        }

        await using (var watch = cli.Start("status", "--watch", "--json"))
        {
            var first = await watch.ReadUntilAsync(_ => true, "the first status");
            Assert.Equal("ready", FrontState(first[^1]));

            await cli.RunOkAsync("stop", "front");

            // Every line is one complete JSON object; the last ones show front stopping, then stopped.
            var lines = await watch.ReadUntilAsync(l => FrontState(l) == "stopped", "a status with front stopped");
            Assert.All(lines, l => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(l).RootElement.ValueKind));
        }
    }

    [Fact]
    public async Task A_request_held_by_a_sigstopped_service_shows_in_flight_with_its_age_until_the_service_continues()
    {
        await using var cli = new MeshdevCli();
        var manifest = new ManifestBuilder(cli.Tag).Service("front");
        manifest.WriteTo(cli.Directory);
        await cli.RunOkAsync("up", "--detach");
        using var http = TestMesh.NewHttpClient();
        var url = $"http://127.0.0.1:{manifest.MeshPorts["front"]}";
        var pid = (await http.GetFromJsonAsync<WhoAmI>($"{url}/whoami"))!.Pid;

        await PausedProcess.StopAsync(pid);
        try
        {
            // The mesh sets no request timeout (none in the manifest): the call waits, and status says so.
            var held = http.GetStringAsync($"{url}/");
            var front = await UntilFrontAsync(cli, f => f.GetProperty("inFlight").GetInt32() == 1, "front to show the held request in flight");
            Assert.Equal(JsonValueKind.Number, front.GetProperty("oldestInFlightMs").ValueKind);
            Assert.True(front.GetProperty("oldestInFlightMs").GetInt64() >= 0);
            Assert.False(held.IsCompleted);

            var table = (await cli.RunOkAsync("status")).Stdout;
            Assert.Matches(new Regex(@"^front\s+process\s+ready\s+127\.0\.0\.1:\d+\s+\d+\s+1\s+1\s+\d+(ms|\.\ds|m\d\ds)\s+call from (external|an unknown caller)\s+-$", RegexOptions.Multiline), table);

            Assert.True(UnixProcess.SignalProcess(pid, SigCont));
            Assert.Equal("hello from front", await held);
        }
        finally
        {
            UnixProcess.SignalProcess(pid, SigCont);
        }

        var after = await UntilFrontAsync(cli, f => f.GetProperty("inFlight").GetInt32() == 0, "the request to end");
        Assert.Equal(JsonValueKind.Null, after.GetProperty("oldestInFlightMs").ValueKind);
    }

    [Fact]
    public void Status_table_shows_the_oldest_age_in_the_largest_unit_without_spaces()
    {
        ServiceStatus Row(string name, int inFlight, long? oldestMs) =>
            new(name, "process", "ready", "127.0.0.1:1", 15101, 1, inFlight, oldestMs, 0, null, [], []);
        var status = new MeshStatus("/m/meshdev.yaml", 1, 15000, DateTimeOffset.UnixEpoch,
            [Row("idle", 0, null), Row("fresh", 1, 850), Row("slow", 2, 12_345), Row("hung", 3, 245_999), Row("paused", 1, 7_380_000)]);

        var rows = StatusCommand.Render(status).Split(Environment.NewLine)[2..]
            .Select(line => Regex.Split(line, @"\s{2,}") is var cells ? $"{cells[0]} {cells[6]} {cells[7]}" : "");

        Assert.Equal(["idle 0 -", "fresh 1 850ms", "slow 2 12.3s", "hung 3 4m05s", "paused 1 2h03m"], rows);
    }

    [Fact]
    public void Status_prints_each_pods_link_below_the_table()
    {
        ServiceStatus Row(string name, string runtime, string? link) =>
            new(name, runtime, "ready", "127.0.0.1:1", 15101, 1, 0, null, 0, null, [], [], Link: link);
        var status = new MeshStatus("/m/meshdev.yaml", 1, 15000, DateTimeOffset.UnixEpoch,
            [Row("web", "process", null), Row("orders", "kubernetes", "link to pod orders-7d9-x2 down since 10:02:03: the port-forward to the gateway failed: 403; retrying")]);

        var lines = StatusCommand.Render(status).Split(Environment.NewLine);

        Assert.Equal("orders: link to pod orders-7d9-x2 down since 10:02:03: the port-forward to the gateway failed: 403; retrying", lines[^1]);
        Assert.DoesNotContain(lines, l => l.StartsWith("web:", StringComparison.Ordinal));
    }

    [Fact]
    public void In_a_120_column_terminal_a_long_last_error_is_cut_in_the_table_and_printed_whole_below_it()
    {
        var error = "build of /home/dev/src/shop/Orders/Orders.csproj failed: /home/dev/src/shop/Orders/Program.cs(12,5): error CS0103: "
            + "The name 'inventry' does not exist in the current context (and 2 more errors; meshdev logs orders)";
        ServiceStatus Row(string name, string? lastError) =>
            new(name, "process", lastError is null ? "ready" : "failed", "127.0.0.1:41234", 15101, 1, 0, null, 0, lastError, [], [], LaunchReason.CallFrom("frontend"));
        var status = new MeshStatus("/m/meshdev.yaml", 1, 15000, DateTimeOffset.UnixEpoch, [Row("frontend", null), Row("orders", error)]);

        var lines = StatusCommand.Render(status, width: 120).Split(Environment.NewLine);

        Assert.All(lines[1..4], line => Assert.True(line.Length <= 120, $"{line.Length} columns: {line}"));
        Assert.EndsWith("…", lines[3]);
        Assert.StartsWith(Regex.Split(lines[3], @"\s{2,}")[^1].TrimEnd('…'), error);
        Assert.Equal($"orders last error: {error}", lines[4]);
        Assert.Equal(5, lines.Length);

        // Not a terminal (a pipe, a file): every error whole, in its row.
        Assert.EndsWith(error, StatusCommand.Render(status).Split(Environment.NewLine)[3]);
    }

    [Fact]
    public void A_last_error_of_several_lines_stays_on_its_row()
    {
        var status = new MeshStatus("/m/meshdev.yaml", 1, 15000, DateTimeOffset.UnixEpoch,
            [new("orders", "process", "failed", null, 15101, 1, 0, null, 0, "exited with code 1:\nUnhandled exception", [], [])]);

        var lines = StatusCommand.Render(status, width: 200).Split(Environment.NewLine);

        Assert.Equal(3, lines.Length);
        Assert.EndsWith("exited with code 1: Unhandled exception", lines[2]);
    }

    /// <summary>Polls <c>meshdev status --json</c> (another process's state: no event to await) until front matches.</summary>
    private static async Task<JsonElement> UntilFrontAsync(MeshdevCli cli, Func<JsonElement, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Eventually.Deadline;
        while (true)
        {
            var front = MeshdevCli.ServiceIn(await cli.StatusAsync(), "front");
            if (condition(front))
            {
                return front;
            }

            Assert.True(DateTime.UtcNow < deadline, $"still waiting for {what}: {front}");
            await Task.Delay(20);
        }
    }

    private static string? FrontState(string line) =>
        MeshdevCli.ServiceIn(JsonDocument.Parse(line).RootElement, "front").GetProperty("state").GetString();
}
