using System.Diagnostics;
using System.Text.Json;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.GrpcTests.Infrastructure;

/// <summary>
/// Runs <c>node tests/js/echo-client.js --target 127.0.0.1:PORT --scenario NAME …</c>: a gRPC client that shares no code
/// with .NET (@grpc/grpc-js), and parses the one JSON line it prints (see the top of echo-client.js).
/// </summary>
internal static class NodeClient
{
    /// <summary>Runs <paramref name="scenario"/> against <c>127.0.0.1:<paramref name="port"/></c>.</summary>
    public static async Task<NodeResult> RunAsync(int port, string scenario, params string[] options)
    {
        var script = GrpcTestPaths.EchoClientJs;
        var modules = Path.Combine(Path.GetDirectoryName(script)!, "node_modules", "@grpc", "grpc-js");
        Assert.True(Directory.Exists(modules), $"{modules} is missing: run devtools/setup.sh (npm ci in tests/js)");

        var start = new ProcessStartInfo("node")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(script)!,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add("--target");
        start.ArgumentList.Add($"127.0.0.1:{port}");
        start.ArgumentList.Add("--scenario");
        start.ArgumentList.Add(scenario);
        foreach (var option in options)
        {
            start.ArgumentList.Add(option);
        }

        // Only the target given on the command line, whatever the machine's environment says.
        foreach (var variable in new[] { "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "grpc_proxy", "GRPC_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY" })
        {
            start.Environment.Remove(variable);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(Eventually.Deadline + TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"node echo-client.js --scenario {scenario} did not exit");
        }

        var output = await stdout;
        var errors = await stderr;
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        Assert.True(
            process.ExitCode == 0 && line is not null,
            $"node echo-client.js --scenario {scenario} exited with code {process.ExitCode}{Environment.NewLine}stdout: {output}{Environment.NewLine}stderr: {errors}");
        JsonElement json;
        try
        {
            json = JsonDocument.Parse(line!).RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"echo-client.js printed no JSON line ({e.Message}){Environment.NewLine}stdout: {output}{Environment.NewLine}stderr: {errors}", e);
        }

        var result = new NodeResult(json);
        Assert.True(result.Error is null, $"echo-client.js --scenario {scenario} failed: {result.Error}");
        return result;
    }
}

/// <summary>What echo-client.js printed: the call's status, headers and trailers, and the scenario's own results.</summary>
internal sealed class NodeResult(JsonElement json)
{
    public JsonElement Json { get; } = json;

    /// <summary>The gRPC status code (0 OK, 1 CANCELLED, 3 INVALID_ARGUMENT, 4 DEADLINE_EXCEEDED, 12 UNIMPLEMENTED, 14 UNAVAILABLE).</summary>
    public int Code => Json.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.Number ? code.GetInt32() : -1;

    public string Details => String("details") ?? "";

    /// <summary>A failure of the client itself (not a gRPC status), or null.</summary>
    public string? Error => String("error");

    public string? String(string property) =>
        Json.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public int? Int(string property) =>
        Json.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt32() : null;

    public bool? Bool(string property) =>
        Json.TryGetProperty(property, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : null;

    public int[] Ints(string property) =>
        Json.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Array ? [.. value.EnumerateArray().Select(v => v.GetInt32())] : [];

    public string[] Strings(string property) =>
        Json.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Array ? [.. value.EnumerateArray().Select(v => v.GetString()!)] : [];

    /// <summary>A response header (<c>metadata</c>), or null.</summary>
    public string? Header(string name) => Entry("metadata", name);

    /// <summary>A trailer, or null.</summary>
    public string? Trailer(string name) => Entry("trailers", name);

    public override string ToString() => Json.GetRawText();

    private string? Entry(string section, string name) =>
        Json.TryGetProperty(section, out var map) && map.ValueKind == JsonValueKind.Object && map.TryGetProperty(name, out var value)
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()
            : null;
}
