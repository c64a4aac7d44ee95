using System.Globalization;
using System.Text;

namespace MeshDev.Calls;

/// <summary>The call graph as text other tools draw: Mermaid (<c>graph LR</c>, for Markdown) and Graphviz DOT (<c>digraph</c>).</summary>
public static class CallGraphText
{
    /// <summary>
    /// Mermaid: every node (the external caller as a stadium), then every edge labelled with its count. Node ids are the
    /// names with '-' as '_' (a '-' could read as part of an arrow); the labels keep the names.
    /// </summary>
    public static string Mermaid(CallGraphSnapshot graph)
    {
        var text = new StringBuilder("graph LR\n");
        foreach (var node in graph.Nodes)
        {
            text.Append(node == CallGraph.External ? $"  {MermaidId(node)}([\"{node}\"])\n" : $"  {MermaidId(node)}[\"{node}\"]\n");
        }

        foreach (var edge in graph.Edges)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {MermaidId(edge.From)} -->|{edge.Count}| {MermaidId(edge.To)}\n");
        }

        return text.ToString();
    }

    /// <summary>DOT, left to right: every node (the external caller dashed), then every edge labelled with its count.</summary>
    public static string Dot(CallGraphSnapshot graph)
    {
        var text = new StringBuilder("digraph meshdev {\n  rankdir=LR;\n  node [shape=box];\n");
        foreach (var node in graph.Nodes)
        {
            text.Append(node == CallGraph.External ? $"  {DotId(node)} [style=dashed];\n" : $"  {DotId(node)};\n");
        }

        foreach (var edge in graph.Edges)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {DotId(edge.From)} -> {DotId(edge.To)} [label=\"{edge.Count}\"];\n");
        }

        return text.Append("}\n").ToString();
    }

    private static string MermaidId(string name) => name.Replace('-', '_');

    private static string DotId(string name) => $"\"{name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"";
}
