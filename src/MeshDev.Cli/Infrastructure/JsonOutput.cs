using System.Text.Json;

namespace MeshDev.Cli.Infrastructure;

/// <summary>What <c>--json</c> prints: one indented document for a snapshot, one compact object per line for a feed.</summary>
public static class JsonOutput
{
    private static readonly JsonSerializerOptions Document = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private static readonly JsonSerializerOptions Line = new(JsonSerializerDefaults.Web);

    public static void Print<T>(T value) => Console.WriteLine(JsonSerializer.Serialize(value, Document));

    /// <summary>One object on one line (newline-delimited JSON), for verbs that follow a feed.</summary>
    public static void PrintLine<T>(T value) => Console.WriteLine(JsonSerializer.Serialize(value, Line));
}
