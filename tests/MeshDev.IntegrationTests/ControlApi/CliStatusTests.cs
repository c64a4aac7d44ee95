using System.Text.Json;
using System.Text.RegularExpressions;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.ControlApi;

/// <summary><c>meshdev status</c>, <c>--json</c> and <c>--watch</c> through the control API of a real detached daemon.</summary>
public sealed class CliStatusTests
{
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
            NAME    RUNTIME  STATE    ENDPOINT  MESH PORT  LAUNCHES  LAST ERROR
            front   process  stopped  -         {front,-9}  0         -
            worker  process  stopped  -         {worker,-9}  0         -

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

            var lines = await watch.ReadUntilAsync(l => Regex.IsMatch(l, @"^front\s+process\s+ready\s+127\.0\.0\.1:\d+\s+\d+\s+1\s+-$"), "front ready after one launch");
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

    private static string? FrontState(string line) =>
        MeshdevCli.ServiceIn(JsonDocument.Parse(line).RootElement, "front").GetProperty("state").GetString();
}
