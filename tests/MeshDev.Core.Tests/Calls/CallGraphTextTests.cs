namespace MeshDev.Calls.Tests;

/// <summary>The call graph as Mermaid and DOT: exact text, so what `meshdev graph` prints stays stable for docs and scripts.</summary>
public sealed class CallGraphTextTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private static readonly CallGraphSnapshot Shop = new(
        At,
        [CallGraph.External, "frontend", "order-api", "inventory"],
        [
            new CallEdge(CallGraph.External, "frontend", 3, At),
            new CallEdge("frontend", "order-api", 12, At),
            new CallEdge("order-api", "inventory", 1, At),
        ],
        []);

    [Fact]
    public void Mermaid_is_a_left_to_right_graph_with_the_counts_on_the_edges()
    {
        Assert.Equal(
            """
            graph LR
              external(["external"])
              frontend["frontend"]
              order_api["order-api"]
              inventory["inventory"]
              external -->|3| frontend
              frontend -->|12| order_api
              order_api -->|1| inventory

            """.ReplaceLineEndings("\n"),
            CallGraphText.Mermaid(Shop));
    }

    [Fact]
    public void Dot_is_a_digraph_with_the_counts_as_edge_labels()
    {
        Assert.Equal(
            """
            digraph meshdev {
              rankdir=LR;
              node [shape=box];
              "external" [style=dashed];
              "frontend";
              "order-api";
              "inventory";
              "external" -> "frontend" [label="3"];
              "frontend" -> "order-api" [label="12"];
              "order-api" -> "inventory" [label="1"];
            }

            """.ReplaceLineEndings("\n"),
            CallGraphText.Dot(Shop));
    }

    [Fact]
    public void A_graph_without_calls_still_lists_its_nodes()
    {
        var empty = Shop with { Edges = [] };

        Assert.Equal("graph LR\n  external([\"external\"])\n  frontend[\"frontend\"]\n  order_api[\"order-api\"]\n  inventory[\"inventory\"]\n", CallGraphText.Mermaid(empty));
    }
}
