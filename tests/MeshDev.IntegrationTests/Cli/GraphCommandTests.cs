using System.Text.Json;
using MeshDev.Calls;
using MeshDev.IntegrationTests.DashboardTests;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.Cli;

/// <summary><c>meshdev graph</c>, the real CLI, against a running mesh whose graph is known exactly.</summary>
public sealed class GraphCommandTests
{
    [Fact]
    public async Task Meshdev_graph_prints_the_observed_graph_as_mermaid_dot_and_json()
    {
        await using var mesh = await WebCallsApi.StartAsync();
        await using var cli = new MeshdevCli();
        var manifest = Path.Combine(mesh.Directory, "meshdev.yaml");
        await WebCallsApi.CallAsync(mesh);
        await WebCallsApi.WaitForEdgesAsync(mesh, (CallGraph.External, "web", 1), ("web", "api", 1));

        var mermaid = await cli.RunOkAsync("graph", "-f", manifest);
        var dot = await cli.RunOkAsync("graph", "-f", manifest, "--format", "dot");
        var json = await cli.RunOkAsync("graph", "-f", manifest, "--json");

        Assert.Equal(
            """
            graph LR
              external(["external"])
              web["web"]
              api["api"]
              external -->|1| web
              web -->|1| api

            """.ReplaceLineEndings("\n"),
            mermaid.Stdout);
        Assert.Equal(
            """
            digraph meshdev {
              rankdir=LR;
              node [shape=box];
              "external" [style=dashed];
              "web";
              "api";
              "external" -> "web" [label="1"];
              "web" -> "api" [label="1"];
            }

            """.ReplaceLineEndings("\n"),
            dot.Stdout);
        var edges = JsonDocument.Parse(json.Stdout).RootElement.GetProperty("edges").EnumerateArray()
            .Select(e => $"{e.GetProperty("from").GetString()}->{e.GetProperty("to").GetString()}:{e.GetProperty("count").GetInt64()}");
        Assert.Equal(["external->web:1", "web->api:1"], edges);
    }

    [Fact]
    public async Task Meshdev_graph_without_a_mesh_says_so_and_fails()
    {
        await using var cli = new MeshdevCli();
        cli.WriteManifest("services:\n  web:\n    command: /bin/true\n");

        var result = await cli.RunAsync("graph");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no mesh is running", result.Stderr);
    }

    [Fact]
    public async Task An_unknown_format_is_refused()
    {
        await using var cli = new MeshdevCli();

        var result = await cli.RunAsync("graph", "--format", "png");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("png", result.Stderr);
    }
}
